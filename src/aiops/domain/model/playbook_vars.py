"""The extra vars a playbook declares, with their types: a run may set those and no others.

Each allowlisted playbook may have a schema beside it, `<name>.vars.yml`, a mapping of
variable names to types:

    # The extra vars of ai-clis.yml.
    ai_cli_tools: list[str]

A playbook without one takes no extra vars. So a caller can never set a variable the playbook
does not expect (one it uses as a program to run, a path, a connection setting), and a value
of the wrong type is refused before anything runs. Values reach Ansible marked unsafe (see
adapters/ansible/extravars.py): a `{{ ... }}` in them is text, never a template.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from aiops.domain.errors import ValidationError

JsonValue = Any


class VarType(enum.StrEnum):
    STR = "str"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    LIST_STR = "list[str]"
    LIST_INT = "list[int]"

    def accepts(self, value: JsonValue) -> bool:
        if self in (VarType.LIST_STR, VarType.LIST_INT):
            item = VarType.STR if self is VarType.LIST_STR else VarType.INT
            return isinstance(value, list) and all(item.accepts(v) for v in value)
        if isinstance(value, bool):
            return self is VarType.BOOL
        if self is VarType.FLOAT:
            return isinstance(value, int | float)
        return isinstance(value, {"str": str, "int": int, "bool": bool}[self.value])


def declared_types(schema: Any, playbook: str) -> dict[str, VarType]:
    """A playbook's schema, parsed (None or empty: no extra vars); ValueError when it is not
    a mapping of names to known types (an operator's mistake, named with the playbook)."""
    if schema is None:
        return {}
    if not isinstance(schema, dict):
        raise ValueError(f"{playbook}.vars.yml: must map variable names to types")
    known = [t.value for t in VarType]
    declared: dict[str, VarType] = {}
    for name, kind in schema.items():
        if not isinstance(name, str) or kind not in known:
            raise ValueError(
                f"{playbook}.vars.yml: {name!s:.60}: the type must be one of {', '.join(known)}"
            )
        declared[name] = VarType(kind)
    return declared


def check_declared(
    variables: Mapping[str, JsonValue], declared: Mapping[str, VarType], playbook: str
) -> None:
    """ValidationError for a variable the playbook does not declare, or of another type."""
    takes = ", ".join(f"{n} ({t.value})" for n, t in sorted(declared.items())) or "none"
    for name, value in variables.items():
        kind = declared.get(name)
        if kind is None:
            raise ValidationError(
                "extra_vars",
                f"{name[:60]!r} is not an extra var of playbook {playbook!r} (it takes: {takes})",
            )
        if not kind.accepts(value):
            raise ValidationError(
                "extra_vars", f"{name[:60]!r} must be a {kind.value} for playbook {playbook!r}"
            )
