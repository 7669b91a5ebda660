"""The one decision of a session's status (issue 18): hook events, the pane, and which wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.model.sessions import (
    SHELLS,
    AgentSession,
    AgentStatus,
    PaneReading,
    StatusSource,
    Tool,
    decide_status,
    status_for,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HOOK_TOOLS = [Tool.CLAUDE, Tool.CODEX, Tool.GEMINI]


def session(tool: Tool = Tool.CLAUDE, **kw: object) -> AgentSession:
    fields: dict[str, object] = {
        "id": 7,
        "user_id": 1,
        "project_id": 2,
        "tool": tool,
        "linux_user": "ivan",
        "tmux_socket": "/tmp/tmux-1000/default",
        "tmux_session": "web-p2",
        "tmux_window": "ivo-claude",
        "started_at": NOW - timedelta(hours=1),
        **kw,
    }
    return AgentSession(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tool", "event", "status"),
    [
        (Tool.CLAUDE, "SessionStart", AgentStatus.IDLE),
        (Tool.CLAUDE, "UserPromptSubmit", AgentStatus.WORKING),
        (Tool.GEMINI, "BeforeAgent", AgentStatus.WORKING),
        (Tool.CLAUDE, "Notification", AgentStatus.WAITING),
        (Tool.GEMINI, "Notification", AgentStatus.WAITING),
        (Tool.CLAUDE, "Stop", AgentStatus.FINISHED),
        (Tool.GEMINI, "AfterAgent", AgentStatus.FINISHED),
        (Tool.CODEX, "agent-turn-complete", AgentStatus.FINISHED),
        (Tool.CLAUDE, "SessionEnd", AgentStatus.EXITED),
        (Tool.CLAUDE, "PreToolUse", None),
        (Tool.CODEX, "approval-requested", None),
        (Tool.SHELL, "Stop", None),
    ],
)
def test_each_tools_events_map_to_the_contracts_statuses(
    tool: Tool, event: str, status: AgentStatus | None
) -> None:
    assert status_for(tool, event) is status


def test_a_hook_status_is_taken_with_its_time_and_source() -> None:
    decided = decide_status(session(), now=NOW, hook=AgentStatus.WAITING)

    assert (decided.status, decided.status_since, decided.status_source) == (
        AgentStatus.WAITING,
        NOW,
        StatusSource.HOOK,
    )


def test_the_same_status_again_keeps_the_time_it_began() -> None:
    began = NOW - timedelta(minutes=3)
    waiting = session(status=AgentStatus.WAITING, status_since=began)

    decided = decide_status(waiting, now=NOW, hook=AgentStatus.WAITING)

    assert decided.status_since == began
    assert decided.status_source is StatusSource.HOOK


def test_without_hook_events_the_pane_heuristic_decides() -> None:
    quiet = PaneReading(alive=True, foreground="claude", last_activity=NOW - timedelta(seconds=9))
    busy = PaneReading(alive=True, foreground="claude", last_activity=NOW)

    assert decide_status(session(), now=NOW, pane=quiet).status is AgentStatus.WAITING
    assert decide_status(session(), now=NOW, pane=busy).status is AgentStatus.WORKING


def test_the_window_gone_is_exited_and_the_tool_gone_is_idle_even_after_a_hook() -> None:
    hooked = session(status=AgentStatus.WAITING, status_source=StatusSource.HOOK)

    gone = decide_status(hooked, now=NOW, pane=PaneReading(alive=False))
    at_shell = decide_status(hooked, now=NOW, pane=PaneReading(alive=True, foreground="-bash"))

    assert (gone.status, gone.status_source) == (AgentStatus.EXITED, StatusSource.PANE)
    assert (at_shell.status, at_shell.status_source) == (AgentStatus.IDLE, StatusSource.PANE)


hook_statuses = st.sampled_from(list(AgentStatus))
foregrounds = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-/", min_size=1, max_size=12).filter(
    lambda name: name.rsplit("/", 1)[-1].lstrip("-") not in SHELLS
)
activities = st.one_of(
    st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))
)


@given(
    tool=st.sampled_from(HOOK_TOOLS),
    status=hook_statuses,
    foreground=foregrounds,
    quiet=activities,
    since=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=5)),
)
def test_a_hook_status_is_never_overridden_by_the_pane_while_the_tool_is_in_front(
    tool: Tool,
    status: AgentStatus,
    foreground: str,
    quiet: timedelta | None,
    since: timedelta,
) -> None:
    hooked = session(tool, status=status, status_since=NOW - since, status_source=StatusSource.HOOK)
    pane = PaneReading(
        alive=True, foreground=foreground, last_activity=None if quiet is None else NOW - quiet
    )

    decided = decide_status(hooked, now=NOW, pane=pane)

    assert decided == hooked


@given(
    status=hook_statuses,
    source=st.sampled_from(list(StatusSource)),
    hook=st.one_of(st.none(), hook_statuses),
    alive=st.booleans(),
    foreground=st.one_of(st.none(), st.sampled_from(["claude", "bash", "node"])),
)
def test_the_time_a_status_began_moves_only_when_the_status_changes(
    status: AgentStatus,
    source: StatusSource,
    hook: AgentStatus | None,
    alive: bool,
    foreground: str | None,
) -> None:
    before = session(status=status, status_source=source, status_since=NOW - timedelta(hours=1))
    pane = PaneReading(alive=alive, foreground=foreground, last_activity=NOW)

    after = decide_status(before, now=NOW, pane=pane, hook=hook)

    moved = after.status_since != before.status_since
    assert moved == (after.status is not before.status)
    assert after.status_since == (NOW if moved else before.status_since)
    if hook is not None:
        assert (after.status, after.status_source) == (hook, StatusSource.HOOK)
