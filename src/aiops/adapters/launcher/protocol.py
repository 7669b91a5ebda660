"""The launcher's wire format: frames of a 4-byte big-endian length and a UTF-8 JSON object,
over any byte stream (a unix socket here; SSH to another host later).

A request is `{"op": ..., ...}`; a reply is `{"ok": true, ...}` or `{"error": {"code",
"message"}}`. Bytes travel base64-encoded in fields ending in `_b64`. Every request is checked
against its shape before anything acts on it: unknown ops, unknown or missing fields and
wrong types are refused, with one line saying which.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 16 * 1024 * 1024
MAX_ARGS = 4096
ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
PROGRAM = re.compile(r"[a-z][a-z0-9-]{0,31}")

# op -> {field: type}; every field is required. `list` means a list of strings, `dict` a
# mapping of environment names to strings, `path` an absolute path.
SHAPES: Mapping[str, Mapping[str, str]] = {
    "ping": {},
    "run": {
        "account": "account",
        "program": "program",
        "args": "list",
        "cwd": "path",
        "env": "dict",
        "input_b64": "str",
        "timeout": "number",
    },
    "spawn": {
        "account": "account",
        "program": "program",
        "args": "list",
        "cwd": "path",
        "env": "dict",
        "pty": "bool",
    },
    "write_file": {
        "account": "account",
        "path": "path",
        "data_b64": "str",
        "mode": "mode",
        "exclusive": "bool",
    },
    "read_file": {"account": "account", "path": "path", "limit": "int"},
    "make_dir": {"account": "account", "path": "path", "mode": "mode", "parents": "bool"},
    "inspect": {"account": "account", "path": "path"},
    "make_account_dir": {"account": "account"},
    "install_cli": {"package": "str"},
}


class Refused(Exception):
    """A request the launcher will not carry out; `message` is one line for the caller."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode(message: Mapping[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    if len(body) > MAX_FRAME:
        raise Refused("too_large", f"a frame of {len(body)} bytes is over {MAX_FRAME}")
    return HEADER.pack(len(body)) + body


def decode(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Refused("bad_frame", "the frame is not a UTF-8 JSON object") from None
    if not isinstance(message, dict):
        raise Refused("bad_frame", "the frame is not a JSON object")
    return message


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def checked(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request, once its op is known and each field has its type; Refused otherwise."""
    op = request.get("op")
    shape = SHAPES.get(op) if isinstance(op, str) else None
    if shape is None:
        raise Refused("bad_request", f"unknown op {str(op)[:40]!r}")
    fields = set(request) - {"op"}
    if fields != set(shape):
        missing, extra = sorted(set(shape) - fields), sorted(fields - set(shape))
        raise Refused("bad_request", f"{op}: missing {missing}, unexpected {extra}"[:200])
    for name, kind in shape.items():
        if not _valid(kind, request[name]):
            raise Refused("bad_request", f"{op}: {name} is not a valid {kind}")
    return dict(request)


def _valid(kind: str, value: Any) -> bool:  # noqa: PLR0911 - one line per kind reads best
    if kind == "str":
        return isinstance(value, str)
    if kind in ("int", "mode"):
        upper = 0o7777 if kind == "mode" else MAX_FRAME
        return type(value) is int and 0 <= value <= upper
    if kind == "bool":
        return type(value) is bool
    if kind == "number":
        return type(value) in (int, float) and 0 < value <= 86400
    if kind == "account":
        return isinstance(value, str) and ACCOUNT.fullmatch(value) is not None
    if kind == "program":
        return isinstance(value, str) and PROGRAM.fullmatch(value) is not None
    if kind == "path":
        return _text(value) and value.startswith("/") and len(value) < 4096
    if kind == "list":
        return isinstance(value, list) and len(value) <= MAX_ARGS and all(map(_text, value))
    return (  # dict: an environment
        isinstance(value, dict)
        and len(value) <= 256
        and all(ENV_NAME.fullmatch(k) and _text(v) for k, v in value.items())
    )


def _text(value: Any) -> bool:
    return isinstance(value, str) and "\0" not in value
