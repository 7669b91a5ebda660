"""The tools' settings files with aiops's hook entries merged in: pure functions from the
file's text (None: no file yet) to the text to write.

Merged, never overwritten: every key the user had stays as it was. aiops's own entries are
recognised by their command (`... agent-event --tool <tool>`), whatever path the hook command
had when they were written, and replaced, so a second launch finds them once. A file that is
not what the tool itself would read (not JSON, not TOML, the wrong shapes) is refused, never
rewritten.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import Any

import tomlkit
import tomlkit.exceptions

CLAUDE_EVENTS = ("SessionStart", "UserPromptSubmit", "Notification", "Stop", "SessionEnd")
GEMINI_EVENTS = ("SessionStart", "BeforeAgent", "Notification", "AfterAgent", "SessionEnd")
GEMINI_HOOK_NAME = "aiops-agent-event"
GEMINI_TIMEOUT_MS = 5000  # the command gives up after 2 s; Gemini's default is a minute


class UnreadableSettings(ValueError):
    """The file is not one the tool could read: left as it is (the message says why)."""


def hook_argv(command: str, tool: str) -> list[str]:
    return [command, "agent-event", "--tool", tool]


def hook_line(command: str, tool: str) -> str:
    """The shell line Claude Code and Gemini CLI run (`sh -c`): the path quoted."""
    return " ".join(shlex.quote(part) for part in hook_argv(command, tool))


def is_ours(argv: Sequence[str], tool: str) -> bool:
    """Whether a hook's argv is aiops's (`<any path> agent-event --tool <tool> ...`)."""
    return len(argv) >= 4 and list(argv[1:4]) == ["agent-event", "--tool", tool]


def _line_is_ours(line: object, tool: str) -> bool:
    if not isinstance(line, str):
        return False
    try:
        return is_ours(shlex.split(line), tool)
    except ValueError:  # unbalanced quotes: someone else's line
        return False


def claude_settings(text: str | None, command: str) -> str:
    """Claude Code's settings.json with a command hook for each event aiops follows."""
    entry = {"type": "command", "command": hook_line(command, "claude")}
    return _json_hooks(text, "claude", CLAUDE_EVENTS, entry)


def gemini_settings(text: str | None, command: str) -> str:
    """Gemini CLI's settings.json (its hooks, 0.26 and later) with a named command hook for
    each event aiops follows."""
    entry = {
        "name": GEMINI_HOOK_NAME,
        "type": "command",
        "command": hook_line(command, "gemini"),
        "timeout": GEMINI_TIMEOUT_MS,
    }
    return _json_hooks(text, "gemini", GEMINI_EVENTS, entry)


def _json_hooks(text: str | None, tool: str, events: Sequence[str], entry: dict[str, Any]) -> str:
    settings = _json_object(text)
    hooks = settings.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise UnreadableSettings('its "hooks" is not an object')
    for event in events:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise UnreadableSettings(f'its "hooks"."{event}" is not a list')
        hooks[event] = [*_without_ours(groups, tool), {"hooks": [dict(entry)]}]
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def _json_object(text: str | None) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        settings = json.loads(text)
    except ValueError as error:
        raise UnreadableSettings(f"it is not valid JSON ({error})") from None
    if not isinstance(settings, dict):
        raise UnreadableSettings("it is not a JSON object")
    return settings


def _without_ours(groups: list[Any], tool: str) -> list[Any]:
    """The event's matcher groups without aiops's hooks; a group left empty by that goes (a
    group the user left empty stays)."""
    kept = []
    for group in groups:
        inner = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(inner, list):
            kept.append(group)
            continue
        theirs = [
            h for h in inner if not (isinstance(h, dict) and _line_is_ours(h.get("command"), tool))
        ]
        if len(theirs) == len(inner):
            kept.append(group)
        elif theirs:
            kept.append({**group, "hooks": theirs})
    return kept


def codex_config(text: str | None, command: str) -> str:
    """Codex's config.toml with a top-level `notify` calling aiops; the user's own `notify`
    is kept by chaining it (`... --tool codex -- <their argv>`). Comments and layout stay."""
    try:
        document = tomlkit.parse(text or "")
    except tomlkit.exceptions.ParseError as error:
        raise UnreadableSettings(f"it is not valid TOML ({error})") from None
    theirs = _their_notify(document.get("notify"))
    wanted = hook_argv(command, "codex") + (["--", *theirs] if theirs else [])
    if document.get("notify") == wanted:
        return document.as_string()
    notify = tomlkit.array()
    notify.extend(wanted)
    document["notify"] = notify
    return document.as_string()


def _their_notify(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(part, str) for part in value):
        raise UnreadableSettings("its notify is not a list of strings")
    argv = [str(part) for part in value]
    if not is_ours(argv, "codex"):
        return argv
    rest = argv[4:]
    return rest[1:] if rest[:1] == ["--"] else []
