"""The tools' settings with aiops's hooks merged in (adapters/agent_hooks/merging.py): for any
settings a user has, everything of theirs stays, aiops's hooks are there once, and a second
install changes nothing."""

from __future__ import annotations

import json
import shlex
import tomllib
from typing import Any

import pytest
import tomlkit
from hypothesis import given
from hypothesis import strategies as st

from aiops.adapters.agent_hooks.merging import (
    CLAUDE_EVENTS,
    GEMINI_EVENTS,
    UnreadableSettings,
    claude_settings,
    codex_config,
    gemini_settings,
    is_ours,
)

COMMAND = "/opt/aiops venv/bin/aiops"  # a space: the path must be quoted in the shell line
MOVED = "/usr/local/bin/aiops"  # AIOPS_HOOK_COMMAND changed between two launches

_key = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ_-.é ", min_size=1, max_size=12)
_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)  # fmt: skip
_json = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_key, inner, max_size=3)),
    max_leaves=10,
)
_their_command = st.one_of(
    st.text(min_size=1, max_size=30),
    st.just("notify-send 'Claude' done"),
    st.just("/usr/bin/aiops agent-event --tool gemini"),  # another tool's: not claude's
)
_hook = st.fixed_dictionaries(
    {"type": st.just("command"), "command": _their_command},
    optional={"timeout": st.integers(1, 600)},
)
_group = st.fixed_dictionaries(
    {"hooks": st.lists(_hook, max_size=3)}, optional={"matcher": st.text(max_size=10)}
)
_events = st.sampled_from([*CLAUDE_EVENTS, *GEMINI_EVENTS, "PreToolUse", "BeforeTool"])


@st.composite
def user_settings(draw: st.DrawFn) -> dict[str, Any]:
    settings: dict[str, Any] = draw(
        st.dictionaries(_key.filter(lambda k: k != "hooks"), _json, max_size=5)
    )
    if draw(st.booleans()):
        settings["hooks"] = draw(st.dictionaries(_events, st.lists(_group, max_size=3), max_size=4))
    return settings


def _ours(settings: dict[str, Any], event: str, tool: str) -> list[dict[str, Any]]:
    return [
        hook
        for group in settings["hooks"][event]
        for hook in group.get("hooks", [])
        if _is_ours_line(hook["command"], tool)
    ]


def _theirs(groups: list[dict[str, Any]], tool: str) -> list[Any]:
    """Every hook of the user's, in order (what aiops may never lose)."""
    return [
        hook
        for group in groups
        for hook in group.get("hooks", [])
        if not _is_ours_line(hook.get("command"), tool)
    ]


def _is_ours_line(line: str, tool: str) -> bool:
    try:
        return is_ours(shlex.split(line), tool)
    except ValueError:
        return False


@pytest.mark.parametrize(
    ("merge", "tool", "events"),
    [(claude_settings, "claude", CLAUDE_EVENTS), (gemini_settings, "gemini", GEMINI_EVENTS)],
)
@given(before=user_settings())
def test_json_settings_keep_every_user_setting_and_hold_aiops_hooks_once(
    merge: Any, tool: str, events: tuple[str, ...], before: dict[str, Any]
) -> None:
    text = json.dumps(before)
    once = merge(text, COMMAND)
    after = json.loads(once)

    assert {k: v for k, v in after.items() if k != "hooks"} == {
        k: v for k, v in before.items() if k != "hooks"
    }
    for event, groups in before.get("hooks", {}).items():
        assert _theirs(after["hooks"][event], tool) == _theirs(groups, tool)
        if event not in events:
            assert after["hooks"][event] == groups
    for event in events:
        (hook,) = _ours(after, event, tool)
        assert shlex.split(hook["command"]) == [COMMAND, "agent-event", "--tool", tool]
    assert merge(once, COMMAND) == once


@pytest.mark.parametrize("merge", [claude_settings, gemini_settings])
def test_aiops_hooks_written_with_another_command_are_replaced_not_doubled(merge: Any) -> None:
    first = json.loads(merge(None, MOVED))
    after = json.loads(merge(json.dumps(first), COMMAND))

    commands = [
        h["command"] for groups in after["hooks"].values() for g in groups for h in g["hooks"]
    ]
    assert len(commands) == 5
    assert all(shlex.split(c)[0] == COMMAND for c in commands)


def test_claude_hooks_have_the_shape_claude_code_reads() -> None:
    settings = json.loads(claude_settings(None, "/usr/bin/aiops"))

    assert set(settings["hooks"]) == set(CLAUDE_EVENTS)
    assert settings["hooks"]["Notification"] == [
        {"hooks": [{"type": "command", "command": "/usr/bin/aiops agent-event --tool claude"}]}
    ]


def test_gemini_hooks_are_named_with_a_timeout_in_milliseconds() -> None:
    settings = json.loads(gemini_settings("{}", "/usr/bin/aiops"))

    assert settings["hooks"]["AfterAgent"] == [{"hooks": [{
        "name": "aiops-agent-event", "type": "command",
        "command": "/usr/bin/aiops agent-event --tool gemini", "timeout": 5000,
    }]}]  # fmt: skip


def test_a_group_holding_both_keeps_the_users_hook_and_drops_the_old_aiops_one() -> None:
    mine = {"type": "command", "command": "say done"}
    old = {"type": "command", "command": "/old/aiops agent-event --tool claude"}
    text = json.dumps({"hooks": {"Stop": [{"matcher": "", "hooks": [mine, old]}]}})

    stop = json.loads(claude_settings(text, COMMAND))["hooks"]["Stop"]

    assert stop[0] == {"matcher": "", "hooks": [mine]}
    assert len(stop) == 2


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{ not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"hooks": "all"}', '"hooks" is not an object'),
        ('{"hooks": {"Stop": {"hooks": []}}}', '"hooks"."Stop" is not a list'),
    ],
)
def test_json_the_tool_could_not_read_is_refused(text: str, why: str) -> None:
    with pytest.raises(UnreadableSettings, match=why):
        claude_settings(text, COMMAND)


def test_an_empty_or_missing_settings_file_gets_the_hooks() -> None:
    assert json.loads(claude_settings("", COMMAND)) == json.loads(claude_settings(None, COMMAND))


# Codex's config.toml

_bare = st.text("abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=10)
_toml_scalar = st.one_of(
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.text(max_size=20).filter(lambda s: "\r" not in s),
)
_toml_value = st.one_of(_toml_scalar, st.lists(st.integers(0, 9), max_size=3))


@st.composite
def codex_configs(draw: st.DrawFn) -> tuple[str, list[str] | None]:
    top = draw(st.dictionaries(_bare.filter(lambda k: k != "notify"), _toml_value, max_size=4))
    tables = draw(
        st.dictionaries(
            _bare.filter(lambda k: k != "notify" and k not in top),
            st.dictionaries(_bare, _toml_value, max_size=3),
            max_size=3,
        )
    )
    notify = draw(
        st.one_of(st.none(), st.lists(st.text(min_size=1, max_size=15), min_size=1, max_size=3))
    )
    document = tomlkit.document()
    document.add(tomlkit.comment("my codex settings"))
    for key, value in top.items():
        document[key] = value
    if notify is not None:
        document["notify"] = notify
    for name, table in tables.items():
        document[name] = table
    return tomlkit.dumps(document), notify


@given(config=codex_configs())
def test_codex_config_keeps_every_setting_and_comment_and_chains_the_users_notify(
    config: tuple[str, list[str] | None],
) -> None:
    text, theirs = config
    once = codex_config(text, COMMAND)
    after, before = tomllib.loads(once), tomllib.loads(text)

    chained = ["--", *theirs] if theirs else []
    assert after.pop("notify") == [COMMAND, "agent-event", "--tool", "codex", *chained]
    before.pop("notify", None)
    assert after == before
    assert "# my codex settings" in once
    assert codex_config(once, COMMAND) == once
    assert tomllib.loads(codex_config(once, MOVED))["notify"][0] == MOVED


def test_codex_notify_is_a_top_level_key_even_after_tables() -> None:
    text = '# mine\nmodel = "o3"  # the best\n\n[projects."/srv/web"]\ntrust_level = "trusted"\n'

    merged = codex_config(text, "/usr/bin/aiops")

    assert merged.startswith('# mine\nmodel = "o3"  # the best\n')
    assert tomllib.loads(merged)["notify"] == ["/usr/bin/aiops", "agent-event", "--tool", "codex"]
    assert tomllib.loads(merged)["projects"] == {"/srv/web": {"trust_level": "trusted"}}


@pytest.mark.parametrize(
    ("text", "why"),
    [("model = ", "not valid TOML"), ("notify = 'say'", "notify is not a list of strings"),
     ("notify = [1]", "notify is not a list of strings")],
)  # fmt: skip
def test_toml_codex_could_not_read_is_refused(text: str, why: str) -> None:
    with pytest.raises(UnreadableSettings, match=why):
        codex_config(text, COMMAND)
