"""How a setting's text (an AIOPS_* variable, a line of .env) becomes its typed value.

The settings' field types say how each value is read, as pydantic-settings did before
(docs/adr/0002-fast-cli-start.md: importing pydantic cost every command ~70 ms): numbers and
paths from their text, booleans from the usual words, choices from a `Literal`, mappings as
JSON. Values given as Python objects (overrides in tests and code) are checked the same way.
Every function raises ValueError with a message fit to follow the variable's name.
"""

from __future__ import annotations

import copy
import json
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class SecretStr:
    """A secret setting: printed and logged as stars, read with get_secret_value()."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""


def setting_value(value: object, annotation: Any) -> Any:
    """`value` (text, or already a Python object) as the type `annotation` names."""
    if annotation is Any:
        return value
    optional = _optional_of(annotation)
    if optional is not None:
        return None if value is None or value == "" else setting_value(value, optional)
    origin = get_origin(annotation)
    if origin is Literal:
        return _choice(value, get_args(annotation))
    if origin in (dict, list):
        try:
            return _shaped(json.loads(value) if isinstance(value, str) else value, annotation)
        except ValueError:  # a JSON syntax error is one too
            raise ValueError(f"must be JSON of the shape {_shape_name(annotation)}") from None
    reader = _READERS.get(annotation)
    if reader is None:
        raise TypeError(f"no reader for settings of type {annotation!r}")
    return reader(value)


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE or word in FALSE:
        return word in TRUE
    raise ValueError("must be a boolean: true/false, yes/no, on/off or 1/0")


def parse_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a whole number")


def parse_float(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a number")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise ValueError("must be text")


def _path(value: object) -> Path:
    if isinstance(value, (str, Path)):
        return Path(value)
    raise ValueError("must be a path")


def _secret(value: object) -> SecretStr:
    if isinstance(value, SecretStr):
        return value
    return SecretStr(_text(value))


_READERS: dict[Any, Any] = {
    str: _text,
    int: parse_int,
    float: parse_float,
    bool: parse_bool,
    Path: _path,
    SecretStr: _secret,
}


def _optional_of(annotation: Any) -> Any:
    """T for `T | None`, else None."""
    if get_origin(annotation) not in (Union, types.UnionType):
        return None
    others = [arg for arg in get_args(annotation) if arg is not type(None)]
    return others[0] if len(others) == 1 else None


def _choice(value: object, choices: tuple[Any, ...]) -> Any:
    if value in choices:
        return value
    raise ValueError("must be one of " + ", ".join(repr(choice) for choice in choices))


def _shaped(value: object, annotation: Any) -> Any:
    """`value` (decoded JSON) when it has the shape of `annotation`: dicts with text keys,
    lists, text. Structures are copied, so a caller's dict cannot change the settings."""
    if annotation is Any:  # any JSON value (a structure checked by its setting's reader)
        return copy.deepcopy(value)
    origin = get_origin(annotation) or annotation
    if origin is dict and isinstance(value, dict):
        _, inner = get_args(annotation)
        if all(isinstance(key, str) for key in value):
            return {key: _shaped(item, inner) for key, item in value.items()}
    elif origin is list and isinstance(value, list):
        (inner,) = get_args(annotation)
        return [_shaped(item, inner) for item in value]
    elif origin is str and isinstance(value, str):
        return value
    raise ValueError("not of the shape")


def _shape_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is dict:
        return "{" + f'"text": {_shape_name(get_args(annotation)[1])}' + "}"
    if origin is list:
        return f"[{_shape_name(get_args(annotation)[0])}]"
    return '"text"'
