"""The API's boundary: bearer authentication, private cattrs converters in and out, JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aiops.domain.errors import AuthenticationFailed, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.projects import Project
from aiops.domain.model.users import User
from aiops.entrypoints.http.api.shapes import BranchIn, ExtraVarsIn
from aiops.entrypoints.http.web import call, container

T = TypeVar("T")

inbound = cattrs.Converter(forbid_extra_keys=True)


def _strict(kind: type[Any]) -> Any:
    def structure(value: Any, _type: Any) -> Any:
        # bool is an int in Python; neither may pass for the other here.
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


for _kind in (str, bool, int):
    inbound.register_structure_hook(_kind, _strict(_kind))
inbound.register_structure_hook(
    BranchIn,
    make_dict_structure_fn(
        BranchIn, inbound, base=override(rename="from"), _cattrs_forbid_extra_keys=True
    ),
)


def _extra_vars(value: Any, _type: Any) -> Any:
    """A JSON object or JSON/YAML text, as sent; the domain checks what is inside."""
    if value is None or isinstance(value, dict | str):
        return value
    raise TypeError(f"expected an object or a string, got {type(value).__name__}")


inbound.register_structure_hook(ExtraVarsIn, _extra_vars)
outbound = cattrs.Converter()
outbound.register_unstructure_hook(datetime, datetime.isoformat)
outbound.register_unstructure_hook(
    User,
    make_dict_unstructure_fn(
        User,
        outbound,
        password_hash=override(omit=True),
        session_generation=override(omit=True),
    ),
)
_project_fields = make_dict_unstructure_fn(
    Project, outbound, https_token_sealed=override(omit=True)
)


def _project_out(project: Project) -> dict[str, Any]:
    """A project without its sealed token; only whether it has one."""
    return {**_project_fields(project), "has_https_token": project.https_token_sealed is not None}


outbound.register_unstructure_hook(Project, _project_out)


async def api_actor(request: Request) -> Actor:
    """The caller behind `Authorization: Bearer <token>`; 401 without a valid one."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationFailed("send a personal access token: Authorization: Bearer <token>")
    actor: Actor = await call(container(request).authenticate_token(), secret.strip())
    return actor


async def body(request: Request, shape: type[T], *, empty_ok: bool = False) -> T:
    """The JSON body as `shape`; invalid JSON, wrong types, missing or unknown fields -> 400.
    With `empty_ok`, no body at all means `{}`."""
    raw = await request.body()
    if empty_ok and not raw.strip():
        raw = b"{}"
    try:
        data = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError("body", f"is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ValidationError("body", "must be a JSON object")
    try:
        return inbound.structure(data, shape)
    except (cattrs.BaseValidationError, cattrs.ForbiddenExtraKeysError) as error:
        details = cattrs.transform_error(error, path="body")
        raise ValidationError("body", "; ".join(details)) from None


def out(value: Any, status_code: int = 200) -> Response:
    return JSONResponse(outbound.unstructure(value), status_code=status_code)
