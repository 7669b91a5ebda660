"""LibtmuxSessions against real tmux servers on private sockets."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aiops.adapters.tmux import LibtmuxSessions
from aiops.adapters.user_switch import DEFAULT_PATH
from aiops.domain.errors import NotFound, ValidationError
from aiops.ports.tmux import WindowSpec
from tests.integration.tmux.conftest import wait_for, wait_for_output

Spec = Callable[..., WindowSpec]


def fake_cli_spec(spec: Spec, fake_cli: Path, **changes: object) -> WindowSpec:
    env = {"PATH": f"{fake_cli.parent}:{DEFAULT_PATH}", "AIOPS_TOOL": "codex"}
    return spec(argv=("codex",), env=env, **changes)


def display(socket: str, target: str, fmt: str) -> str:
    result = subprocess.run(
        ["tmux", "-S", socket, "display-message", "-p", "-t", target, fmt],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_launch_starts_the_session_and_window_with_their_names_in_the_workspace(
    sessions: LibtmuxSessions, spec: Spec, fake_cli: Path, workspace: Path
) -> None:
    launched = sessions.launch(fake_cli_spec(spec, fake_cli))

    assert launched.created
    assert (launched.window.session, launched.window.window) == ("acme-web-p1", "alice-codex")
    screen = wait_for_output(sessions, launched.window, "ready")
    assert f"cwd={workspace}" in screen
    (listed,) = sessions.windows([launched.window.socket])
    assert (listed.session, listed.window, listed.pane_pid) == (
        "acme-web-p1",
        "alice-codex",
        launched.window.pane_pid,
    )


def test_the_socket_folder_is_private_to_the_account(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec())

    info = Path(socket).parent.stat()
    assert oct(info.st_mode & 0o777) == oct(0o700)
    assert info.st_uid == spec().account.uid


def test_relaunch_focuses_the_existing_window_instead_of_starting_another(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    first = sessions.launch(spec())
    sessions.launch(spec(window="bob-shell"))
    assert display(socket, "=acme-web-p1:", "#{window_name}") == "bob-shell"

    again = sessions.launch(spec())

    assert not again.created
    assert again.window.pane_pid == first.window.pane_pid
    assert display(socket, "=acme-web-p1:", "#{window_name}") == "alice-codex"
    names = [w.window for w in sessions.windows([socket])]
    assert sorted(names) == ["alice-codex", "bob-shell"]


def test_a_window_name_that_prefixes_another_is_a_window_of_its_own(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec(window="alice-codex-i12"))

    launched = sessions.launch(spec(window="alice-codex"))

    assert launched.created
    assert sorted(w.window for w in sessions.windows([socket])) == [
        "alice-codex",
        "alice-codex-i12",
    ]


def test_relaunching_a_window_whose_tool_exited_starts_it_again(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    exited = sessions.launch(spec(argv=("true",)))
    wait_for(lambda: not sessions.windows([socket])[0].alive, "the pane to die")

    again = sessions.launch(spec())

    assert again.created
    assert again.window.pane_pid != exited.window.pane_pid
    (window,) = sessions.windows([socket])
    assert window.alive


def test_windows_lists_every_window_of_a_server_in_one_tmux_call(
    sessions: LibtmuxSessions, spec: Spec, socket: str, place: Path
) -> None:
    for project in range(1, 6):
        for user in ("alice", "bob", "carol", "dave"):
            sessions.launch(spec(session=f"acme-p{project}", window=f"{user}-codex"))
    calls = place / "calls"
    counting = place / "counting-tmux"
    counting.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec tmux "$@"\n')
    counting.chmod(0o755)
    counted = LibtmuxSessions(tmux_bin=str(counting))

    windows = counted.windows([socket, str(place / "nobody" / "tmux")])

    assert len(windows) == 20
    assert {w.session for w in windows} == {f"acme-p{n}" for n in range(1, 6)}
    assert len(calls.read_text().splitlines()) == 2  # one per socket, the dead one included


def test_windows_report_the_foreground_command_and_dead_panes(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec(window="alice-codex", argv=("sleep", "600")))
    sessions.launch(spec(window="bob-codex", argv=("sh", "-c", "exit 3")))

    wait_for(lambda: any(not w.alive for w in sessions.windows([socket])), "bob's pane to die")
    by_name = {w.window: w for w in sessions.windows([socket])}

    assert by_name["alice-codex"].alive
    assert by_name["alice-codex"].foreground == "sleep"
    assert by_name["alice-codex"].last_activity is not None
    assert not by_name["bob-codex"].alive


def test_a_server_that_is_not_running_has_no_windows(
    sessions: LibtmuxSessions, place: Path
) -> None:
    assert sessions.windows([str(place / "nobody" / "tmux")]) == []


def test_kill_window_and_session_remove_them_and_missing_ones_are_no_error(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec(window="alice-codex"))
    sessions.launch(spec(window="bob-codex"))
    sessions.launch(spec(session="other-p2"))

    sessions.kill_window(socket, "acme-web-p1", "alice-codex")
    sessions.kill_window(socket, "acme-web-p1", "alice-codex")
    assert sorted((w.session, w.window) for w in sessions.windows([socket])) == [
        ("acme-web-p1", "bob-codex"),
        ("other-p2", "alice-codex"),
    ]
    sessions.kill_session(socket, "acme-web-p1")
    sessions.kill_session(socket, "acme-web-p1")
    sessions.kill_session(socket, "acme-web")  # a prefix of nothing left: no match
    assert [w.session for w in sessions.windows([socket])] == ["other-p2"]
    sessions.kill_session(socket, "other-p2")
    sessions.kill_window(socket, "other-p2", "alice-codex")  # the server is gone too


def test_capture_of_a_missing_window_is_not_found(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec())

    with pytest.raises(NotFound):
        sessions.capture(socket, "acme-web-p1", "nobody-codex")


def test_send_text_types_literally_then_presses_enter(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    launched = sessions.launch(
        spec(argv=("sh", "-c", 'while read -r line; do echo "got[$line]"; done'))
    )
    window = launched.window

    for text in ("hello world", "-n not an option", "ends with;", "a;b", "", "'quoted' \"too\""):
        sessions.send_text(socket, window.session, window.window, text)
        wait_for_output(sessions, window, f"got[{text}]")


@pytest.mark.parametrize(
    ("session", "window"),
    [("acme:1", "alice-codex"), ("acme-p1", "alice.codex"), ("-t", "alice"), ("acme", "Alice")],
)
def test_unsafe_names_are_refused_before_tmux_sees_them(
    sessions: LibtmuxSessions, spec: Spec, session: str, window: str
) -> None:
    with pytest.raises(ValidationError):
        sessions.launch(spec(session=session, window=window))
    with pytest.raises(ValidationError):
        sessions.send_text(spec().socket, session, window, "hi")
