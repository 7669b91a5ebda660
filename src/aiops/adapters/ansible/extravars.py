"""The extra vars file a run hands to ansible-playbook (`-e @env/extravars`): YAML in which
every string value, nested ones and nested mapping keys included, carries Ansible's `!unsafe` tag.

Ansible templates any string it is given: a value `{{ lookup("pipe", "id") }}` would run `id`
on the controller, as the service account, whatever the playbook does with the variable.
Marked unsafe, the value stays the text it is: a playbook that prints it prints the braces.
(We mark rather than refuse, so a value may legitimately hold braces: a Go template, a
Helm value, a password.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml


class _Unsafe(str):
    __slots__ = ()


class _UnsafeDumper(yaml.SafeDumper):
    pass


def _represent_unsafe(dumper: yaml.SafeDumper, value: _Unsafe) -> yaml.ScalarNode:
    return dumper.represent_scalar("!unsafe", str(value), style='"')


_UnsafeDumper.add_representer(_Unsafe, _represent_unsafe)


def _marked(value: Any) -> Any:
    if isinstance(value, str):
        return _Unsafe(value)
    if isinstance(value, Mapping):
        return {_marked(key): _marked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_marked(item) for item in value]
    return value


def unsafe_yaml(variables: Mapping[str, Any]) -> str:
    """The variables as YAML, every string value tagged `!unsafe` (double-quoted, so any
    character survives). The top-level names stay plain: they are checked variable names."""
    return yaml.dump(
        {name: _marked(value) for name, value in variables.items()},
        Dumper=_UnsafeDumper,
        allow_unicode=True,
        sort_keys=False,
        width=2**31 - 1,
    )
