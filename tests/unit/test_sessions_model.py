"""Session and window names, tool specs and the agent status rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import ValidationError
from aiops.domain.model.sessions import (
    DEFAULT_TOOLS,
    AgentStatus,
    Tool,
    ToolSpec,
    agent_status,
    project_id_of,
    session_name,
    tmux_name,
    window_name,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_names_follow_the_project_and_user() -> None:
    assert session_name("acme-web", 12) == "acme-web-p12"
    assert window_name("alice", Tool.CODEX) == "alice-codex"
    assert window_name("alice", Tool.CLAUDE, issue_id=7) == "alice-claude-i7"
    assert project_id_of("acme-web-p12") == 12
    assert project_id_of("scratch") is None
    assert project_id_of("evil:x-p12") is None


@given(st.text(max_size=30))
def test_a_tmux_name_never_holds_a_separator_or_starts_an_option(text: str) -> None:
    try:
        name = tmux_name(text)
    except ValidationError:
        return
    assert not set(name) & set(":./ \n\0;$'\"")
    assert not name.startswith("-")
    assert name != ".."


@pytest.mark.parametrize("bad", ["a:b", "a.b", "..", "a/b", "-x", "", "A"])
def test_unsafe_tmux_names_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="is not a safe tmux name"):
        tmux_name(bad)


def test_tool_specs_are_argv_lists_with_safe_config_folders() -> None:
    assert DEFAULT_TOOLS[Tool.CODEX].argv == ("codex",)
    assert DEFAULT_TOOLS[Tool.CLAUDE].package == "@anthropic-ai/claude-code"
    with pytest.raises(ValidationError, match="folder under HOME"):
        ToolSpec(tool=Tool.CODEX, argv=("codex",), config_dir="../etc")
    with pytest.raises(ValidationError, match="non-empty list"):
        ToolSpec(tool=Tool.CODEX, argv=())
    with pytest.raises(ValidationError, match="environment variable name"):
        ToolSpec(tool=Tool.CODEX, argv=("codex",), env={"A=B": "x"})
    assert Tool.parse("gemini") is Tool.GEMINI
    with pytest.raises(ValidationError, match=r"is not one of codex\|gemini\|claude\|shell"):
        Tool.parse("vim")


@pytest.mark.parametrize(
    ("alive", "foreground", "quiet", "expected"),
    [
        (False, "codex", 0, AgentStatus.EXITED),
        (True, "node", 1, AgentStatus.WORKING),
        (True, "node", 60, AgentStatus.WAITING),
        (True, "node", 3600, AgentStatus.IDLE),
        (True, "-bash", 1, AgentStatus.IDLE),  # the tool exited back to the login shell
    ],
)
def test_status_comes_from_the_pane_process_and_its_activity(
    alive: bool, foreground: str, quiet: int, expected: AgentStatus
) -> None:
    status = agent_status(
        alive=alive,
        foreground=foreground,
        tool=Tool.CODEX,
        last_activity=NOW - timedelta(seconds=quiet),
        now=NOW,
    )

    assert status is expected


def test_a_shell_session_at_its_shell_is_not_idle_for_that() -> None:
    status = agent_status(
        alive=True, foreground="bash", tool=Tool.SHELL, last_activity=NOW, now=NOW
    )

    assert status is AgentStatus.WORKING


def test_the_settings_allowlist_sets_commands_and_environment() -> None:
    from aiops.domain.model.sessions import SessionRefused
    from aiops.domain.usecases.sessions import tool_specs

    specs = tool_specs(
        ["codex", "shell"], {"codex": ["/opt/codex"]}, {"codex": {"CODEX_MODEL": "o4"}}
    )

    assert set(specs) == {Tool.CODEX, Tool.SHELL}
    assert specs[Tool.CODEX].argv == ("/opt/codex",)
    assert specs[Tool.CODEX].env == {"CODEX_MODEL": "o4"}
    assert specs[Tool.SHELL] == DEFAULT_TOOLS[Tool.SHELL]
    with pytest.raises(SessionRefused, match="AIOPS_AGENT_ENV names 'gemini'"):
        tool_specs(["codex"], {}, {"gemini": {"X": "1"}})
    with pytest.raises(ValidationError, match="environment variable name"):
        tool_specs(["codex"], {}, {"codex": {"bad name": "1"}})
