"""The API's boundary: bearer authentication, msgspec bodies in, JSON out (jsonable.py)."""

from __future__ import annotations

import enum
import json
import re
from datetime import datetime
from typing import Any, TypeVar, get_args, get_type_hints

import attrs
import msgspec
from starlette.requests import Request
from starlette.responses import Response

from aiops.domain.errors import AuthenticationFailed, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import Actor
from aiops.entrypoints.http.web import call, container
from aiops.entrypoints.jsonable import jsonable

T = TypeVar("T")
_RENAMED = {"from": "base"}  # JSON names that are Python keywords
_AT = re.compile(r" - at `\$\.?([A-Za-z_]*)[^`]*`$")


def _json_names(shape: type[Any]) -> set[str]:
    inverse = {python: json for json, python in _RENAMED.items()}
    return {inverse.get(field.name, field.name) for field in attrs.fields(shape)}


def _meaning(annotation: Any) -> tuple[str | None, list[str]]:
    """What a field's type says to a person: its description, or the values of its enum.
    A write-only (secret) field's description is "" so that its value is never repeated."""
    for part in (annotation, *get_args(annotation)):
        for arg in (part, *get_args(part)):
            if isinstance(arg, msgspec.Meta) and (arg.extra_json_schema or {}).get("writeOnly"):
                return "", []
            if isinstance(arg, msgspec.Meta) and arg.description:
                return arg.description, []
            if isinstance(arg, type) and issubclass(arg, enum.Enum):
                return None, [str(member.value) for member in arg]
    return None, []


def _message(error: msgspec.ValidationError, data: dict[str, Any], shape: type[Any]) -> str:
    """msgspec's message, in the words the domain uses where the field's type has them."""
    text = str(error)
    match = _AT.search(text)
    field = match.group(1) if match else ""
    said = text[: match.start()] if match else text
    name = {v: k for k, v in _RENAMED.items()}.get(field, field)
    value = data.get(field)
    if isinstance(value, str) and field:
        description, choices = _meaning(get_type_hints(shape, include_extras=True)[field])
        if description == "":
            return f"body.{name}: {said} (the value is not repeated: it is a secret)"
        if description:
            return f"body.{name}: {value[:80]!r} is not {description}"
        if choices:
            return f"body.{name}: {value[:40]!r} is not one of {', '.join(choices)}"
    return f"body.{name}: {said}" if field else f"body: {said}"


def structure(data: dict[str, Any], shape: type[T]) -> T:
    """`data` as `shape`: unknown keys, wrong types (a bool is no int) and values outside the
    constraints of api/types.py refused with ValidationError."""
    unknown = sorted(set(data) - _json_names(shape))
    if unknown:
        raise ValidationError("body", f"unknown fields: {', '.join(unknown)}")
    renamed = {_RENAMED.get(key, key): value for key, value in data.items()}
    try:
        return msgspec.convert(renamed, shape, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationError("body", _message(error, renamed, shape)) from None


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
    return structure({key: whole(value) for key, value in data.items()}, shape)


def whole(value: Any) -> Any:
    """JSON Schema calls 3.0 an integer (a number whose fraction is zero), so an id sent as
    3.0 is 3; msgspec's strict decoding would refuse it. Only top-level fields are ids."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def out(kind: Any, value: Any, status_code: int = 200) -> Response:
    """`value` (an entity, a presenter's row or an api/outputs.py object) sent as `kind`, a
    class of api/outputs.py or a list of one. The body holds that class's fields and no
    other, so the document's response schema (generated from the class) is the body's; a
    value that does not fit the class is a bug, and fails (500) rather than being sent."""
    shaped = msgspec.convert(jsonable(value), kind, strict=False)
    body = json.dumps(
        msgspec.to_builtins(shaped, builtin_types=(datetime,)),
        default=_isoformat,  # as --json (msgspec would write "Z" for UTC)
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    )
    return Response(body.encode(), status_code=status_code, media_type="application/json")


def _isoformat(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def query(request: Request, name: str, kind: Any, default: Any = None) -> Any:
    """A query parameter as `kind` (an api/types.py type): absent -> `default`; text that is
    not a `kind` (empty where it may not be, a number out of range) -> 400, never clamped."""
    if name not in request.query_params:
        return default
    text = request.query_params[name]
    try:
        return msgspec.convert(text, kind, strict=False)
    except msgspec.ValidationError as error:
        said = _AT.sub("", str(error))
        raise ValidationError(name, f"{text[:80]!r}: {said}") from None


def path_slug(request: Request) -> str:
    """The {slug} of the path, checked before it reaches a query (a NUL byte would make
    PostgreSQL fail the statement)."""
    value: str = request.path_params["slug"]
    return validation.slug(value)
