"""Entities as JSON values, the same for the CLI's `--json` and the API's responses.

One private cattrs converter: a user never shows its password hash or session generation, a
project never its sealed token (only whether it has one). It imports neither Starlette nor
msgspec, so that a CLI command loading it stays fast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from aiops.domain.model.projects import Project
from aiops.domain.model.users import User

_converter = cattrs.Converter()
_converter.register_unstructure_hook(datetime, datetime.isoformat)
_converter.register_unstructure_hook(
    User,
    make_dict_unstructure_fn(
        User,
        _converter,
        password_hash=override(omit=True),
        session_generation=override(omit=True),
    ),
)
_project_fields = make_dict_unstructure_fn(
    Project, _converter, https_token_sealed=override(omit=True)
)


def _project(project: Project) -> dict[str, Any]:
    return {**_project_fields(project), "has_https_token": project.https_token_sealed is not None}


_converter.register_unstructure_hook(Project, _project)


def jsonable(value: Any) -> Any:
    """`value` as dicts, lists and JSON scalars."""
    return _converter.unstructure(value)
