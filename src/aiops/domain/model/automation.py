"""Ansible automation: allowlisted playbooks run against named inventories, their runs, the
events each run emits, and the per-host summary at the end.

Names from users are names, never paths: a playbook or inventory name is checked here before
it is joined to a folder anywhere. Extra vars are a JSON or YAML mapping of plain values;
those whose names look secret (password, token, key, ...) or that the caller marks secret are
masked wherever a run is stored or shown, and their values are scrubbed from event output.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from aiops.domain.errors import Conflict, ValidationError
from aiops.domain.model.playbook_vars import VarType

NAME_MAX = 64
# The patterns as text too: the JSON API publishes (and checks) the same ones.
NAME_PATTERN = r"[a-z0-9][a-z0-9_-]*"
LIMIT_PATTERN = r"[A-Za-z0-9_.:,&!*?\[\]@-]+"
TAG_PATTERN = r"[A-Za-z0-9_.-]+"
_NAME = re.compile(NAME_PATTERN)
_LIMIT = re.compile(LIMIT_PATTERN)
_TAG = re.compile(TAG_PATTERN)
_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_NAME = re.compile(r"pass|secret|token|key|credential|private|auth", re.IGNORECASE)
EXTRA_VARS_MAX = 64 * 1024
MASK = "********"

JsonValue = Any  # str | int | float | bool | None | list[JsonValue] | dict[str, JsonValue]


class AutomationRefused(Conflict):
    """A run cannot start: not on the allowlist, unknown inventory, a run already over, ...
    A Conflict: the state of this server refuses it, not the shape of the request."""

    code = "automation_refused"


def _name(value: str, field: str, what: str) -> str:
    if len(value) > NAME_MAX or not _NAME.fullmatch(value):
        hint = ""
        if "/" in value or ".." in value:
            hint = " (a name, never a path)"
        elif value.endswith((".yml", ".yaml")):
            hint = f" (leave out the extension: {value.rsplit('.', 1)[0][:60]!r})"
        raise ValidationError(
            field,
            f"{value[:80]!r} is not a valid {what} name{hint}: use 1-{NAME_MAX} lowercase "
            "letters, digits, '_' or '-', starting with a letter or digit (e.g. 'ping')",
        )
    return value


def playbook_name(value: str, *, field: str = "playbook") -> str:
    return _name(value, field, "playbook")


def inventory_name(value: str, *, field: str = "inventory") -> str:
    return _name(value, field, "inventory")


def host_limit(value: str | None) -> str | None:
    """An ansible host pattern for --limit (hosts, groups, ',' '&' '!' '*'), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > 512 or value.startswith("-") or not _LIMIT.fullmatch(value):
        raise ValidationError(
            "limit",
            f"{value[:80]!r} is not a host pattern: use host and group names joined with "
            "',', '&' or '!' (e.g. 'web,&prod')",
        )
    return value


def run_tags(value: str | None) -> str | None:
    """Comma-separated tag names for --tags, or None."""
    if value is None or not value.strip():
        return None
    tags = [tag.strip() for tag in value.split(",") if tag.strip()]
    if len(value) > 512 or any(tag.startswith("-") or not _TAG.fullmatch(tag) for tag in tags):
        raise ValidationError(
            "tags", f"{value[:80]!r} is not a list of tags: use names joined with ',' (e.g. 'a,b')"
        )
    return ",".join(tags)


def _plain(value: Any, path: str) -> JsonValue:
    """Check that a parsed value is made of JSON types only (YAML can also give dates, sets)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        result: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError("extra_vars", f"{path}: keys must be strings")
            result[key] = _plain(item, f"{path}.{key}")
        return result
    raise ValidationError(
        "extra_vars", f"{path}: {type(value).__name__} values are not accepted (quote it)"
    )


@functools.cache
def _yaml_loader() -> Any:
    """The YAML loader, made on first use: PyYAML costs a command that reads no extra vars
    ~15 ms (docs/adr/0002-fast-cli-start.md). Without anchors' aliases: `*name` could make a
    few bytes expand into millions of values, or a value that contains itself."""
    import yaml  # noqa: PLC0415 - see the docstring

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                event = self.get_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not accepted", event.start_mark
                )
            return super().compose_node(parent, index)

    return NoAliasLoader


def parse_extra_vars(text: str | None) -> dict[str, JsonValue]:
    """A JSON object or YAML mapping of variable names to plain values ({} when blank)."""
    if text is None or not text.strip():
        return {}
    if len(text) > EXTRA_VARS_MAX:
        raise ValidationError("extra_vars", "are too long (at most 64 KiB)")
    try:
        return extra_vars(_parse(text))
    except RecursionError:
        raise ValidationError("extra_vars", "are nested too deeply") from None


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        import yaml  # noqa: PLC0415 - see _yaml_loader

        try:
            return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(error, "problem", None)
            why = f": {problem}" if problem else ""
            raise ValidationError(
                "extra_vars",
                f"are neither JSON nor YAML{where}{why}; give a mapping like "
                '{"name": "value"} or name: value',
            ) from None


def extra_vars(value: Any) -> dict[str, JsonValue]:
    """Validate an already parsed mapping of extra vars."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            "extra_vars", f"must be a mapping of names to values, not a {type(value).__name__}"
        )
    for key in value:
        if not isinstance(key, str) or not _VAR.fullmatch(key):
            raise ValidationError(
                "extra_vars", f"{str(key)[:60]!r} is not a variable name (letters, digits, '_')"
            )
        if key.lower().startswith("ansible_"):
            raise ValidationError(
                "extra_vars",
                f"{key[:60]!r}: ansible_* variables (connection, interpreter, become) are set "
                "by the inventory, not by a run",
            )
    plain: dict[str, JsonValue] = _plain(value, "extra_vars")
    return plain


def secret_var_names(variables: Mapping[str, JsonValue], marked: Collection[str] = ()) -> set[str]:
    """The variables to mask: those marked secret and those whose names look secret."""
    return {name for name in variables if name in marked or _SECRET_NAME.search(name)}


def masked(variables: Mapping[str, JsonValue], secret: Collection[str]) -> dict[str, JsonValue]:
    return {name: MASK if name in secret else value for name, value in variables.items()}


def secret_values(variables: Mapping[str, JsonValue], secret: Collection[str]) -> list[str]:
    """The text of every secret value (nested ones too), longest first, for scrubbing."""
    found: list[str] = []

    def walk(value: JsonValue) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif value is not None and not isinstance(value, bool):
            text = str(value)
            if len(text) >= 4:  # shorter values would scrub ordinary words
                found.append(text)

    for name in secret:
        if name in variables:
            walk(variables[name])
    return sorted(set(found), key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)


@attrs.frozen(kw_only=True)
class HostSummary:
    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@attrs.frozen(kw_only=True)
class Playbook:
    name: str = attrs.field(converter=playbook_name)
    description: str = ""
    variables: Mapping[str, VarType] = attrs.field(factory=dict)  # the extra vars it declares


@attrs.frozen(kw_only=True)
class AutomationRun:
    playbook: str
    inventory: str
    started_by: str
    queued_at: datetime
    limit: str | None = None
    tags: str | None = None
    check: bool = False
    extra_vars: Mapping[str, JsonValue] = attrs.field(factory=dict)  # secret values masked
    identity: str | None = None  # the SSH identity whose key the run used
    status: RunStatus = RunStatus.QUEUED
    rc: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    summary: Sequence[HostSummary] = ()
    cancel_requested: bool = False
    runner: str | None = None  # the aiops process that runs it (RunnerProcesses.me())
    runner_seen_at: datetime | None = None  # the runner's last heartbeat, while unfinished
    reason: str | None = None  # why it ended as it did, when the rc does not tell (lost)
    id: int | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


@attrs.frozen(kw_only=True)
class RunEvent:
    """One event of a run, in the order ansible emitted it (seq from 1)."""

    run_id: int
    seq: int
    event: str  # ansible's event type: playbook_on_task_start, runner_on_ok, ...
    host: str | None = None
    task: str | None = None
    status: str | None = None  # ok | changed | failed | unreachable | skipped, for host events
    stdout: str = ""
    at: datetime | None = None
