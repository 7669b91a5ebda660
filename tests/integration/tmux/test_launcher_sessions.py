"""LauncherTmuxSessions against real tmux servers on private sockets, every client run as the
server's account through the launcher."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launcher.switch import DEFAULT_PATH
from aiops.adapters.launching import AccountLauncher, InProcessBackend, SocketBackend
from aiops.adapters.tmux import LauncherTmuxSessions
from aiops.domain.errors import NotFound, ValidationError
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import TmuxServer, WindowSpec
from tests.integration.tmux.conftest import needs_root, tmux_as_owner, wait_for, wait_for_output

Spec = Callable[..., WindowSpec]


def fake_cli_spec(spec: Spec, fake_cli: Path, **changes: object) -> WindowSpec:
    env = {"PATH": f"{fake_cli.parent}:{DEFAULT_PATH}", "AIOPS_TOOL": "codex"}
    return spec(argv=("codex",), env=env, **changes)


def with_program(launcher: AccountLauncher, name: str, path: Path) -> AccountLauncher:
    """The launcher with `name` running `path` (in its table, and in its executor's as root)."""
    programs = {**launcher.programs, name: (str(path),)}
    backend = launcher.backend
    if isinstance(backend, InProcessBackend):
        backend = InProcessBackend(attrs.evolve(backend.executor, programs=programs))
    return attrs.evolve(launcher, programs=programs, backend=backend)


@pytest.fixture
def over_socket(launcher: AccountLauncher, place: Path) -> Iterator[AccountLauncher]:
    """The launcher as the web server and scheduler reach it: over its socket (served here by
    a thread of this root process, for this process)."""
    assert isinstance(launcher.backend, InProcessBackend)
    path = str(place / "launcher.sock")
    server = LauncherServer(path, executor=launcher.backend.executor, peer_uid=0)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,))
    thread.start()
    yield attrs.evolve(launcher, backend=SocketBackend(path))
    stop.set()
    thread.join(timeout=10)


def display(socket: str, target: str, fmt: str) -> str:
    shown = tmux_as_owner(socket, "display-message", "-p", "-t", target, fmt)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_launch_starts_the_session_and_window_with_their_names_in_the_workspace(
    sessions: LauncherTmuxSessions,
    spec: Spec,
    fake_cli: Path,
    workspace: Path,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    launched = sessions.launch(fake_cli_spec(spec, fake_cli))

    assert launched.created
    assert (launched.window.session, launched.window.window) == ("acme-web-p1", "alice-codex")
    screen = wait_for_output(sessions, account, launched.window, "ready")
    assert f"cwd={workspace}" in screen
    listing = sessions.windows([server])
    (listed,) = listing.windows
    assert listing.unreadable == frozenset()
    assert (listed.session, listed.window, listed.pane_pid) == (
        "acme-web-p1",
        "alice-codex",
        launched.window.pane_pid,
    )


def test_the_socket_folder_is_made_by_the_account_and_private_to_it(
    sessions: LauncherTmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec())

    info = Path(socket).parent.stat()
    assert oct(info.st_mode & 0o777) == oct(0o700)
    assert (info.st_uid, info.st_gid) == (spec().account.uid, spec().account.gid)


def test_relaunch_focuses_the_existing_window_instead_of_starting_another(
    sessions: LauncherTmuxSessions, spec: Spec, socket: str, server: TmuxServer
) -> None:
    first = sessions.launch(spec())
    sessions.launch(spec(window="bob-shell"))
    assert display(socket, "=acme-web-p1:", "#{window_name}") == "bob-shell"

    again = sessions.launch(spec())

    assert not again.created
    assert again.window.pane_pid == first.window.pane_pid
    assert display(socket, "=acme-web-p1:", "#{window_name}") == "alice-codex"
    names = [w.window for w in sessions.windows([server]).windows]
    assert sorted(names) == ["alice-codex", "bob-shell"]


def test_a_window_name_that_prefixes_another_is_a_window_of_its_own(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer
) -> None:
    sessions.launch(spec(window="alice-codex-i12"))

    launched = sessions.launch(spec(window="alice-codex"))

    assert launched.created
    assert sorted(w.window for w in sessions.windows([server]).windows) == [
        "alice-codex",
        "alice-codex-i12",
    ]


def test_relaunching_a_window_whose_tool_exited_starts_it_again(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer
) -> None:
    exited = sessions.launch(spec(argv=("true",)))
    wait_for(lambda: not sessions.windows([server]).windows[0].alive, "the pane to die")

    again = sessions.launch(spec())

    assert again.created
    assert again.window.pane_pid != exited.window.pane_pid
    (window,) = sessions.windows([server]).windows
    assert window.alive


def test_windows_lists_every_window_of_a_server_in_one_tmux_call(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer, place: Path,
    launcher: AccountLauncher, account: LinuxAccount,
) -> None:  # fmt: skip
    for project in range(1, 6):
        for user in ("alice", "bob", "carol", "dave"):
            sessions.launch(spec(session=f"acme-p{project}", window=f"{user}-codex"))
    calls = place / "calls"
    calls.touch(mode=0o666)
    calls.chmod(0o666)
    counting = place / "counting-tmux"
    counting.write_text(f'#!/bin/sh\necho "$(id -u) $*" >> {calls}\nexec tmux "$@"\n')
    counting.chmod(0o755)
    counted = LauncherTmuxSessions(launcher=with_program(launcher, "tmux", counting))
    nobody = TmuxServer(str(place / "nobody" / "tmux"), account)

    listing = counted.windows([server, nobody])

    assert len(listing.windows) == 20
    assert {w.session for w in listing.windows} == {f"acme-p{n}" for n in range(1, 6)}
    assert listing.unreadable == frozenset()
    made = calls.read_text().splitlines()
    assert len(made) == 2  # one per socket, the dead one included
    assert {line.split()[0] for line in made} == {str(account.uid)}  # each as the account


def test_windows_report_the_foreground_command_and_dead_panes(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer
) -> None:
    sessions.launch(spec(window="alice-codex", argv=("sleep", "600")))
    sessions.launch(spec(window="bob-codex", argv=("sh", "-c", "exit 3")))

    wait_for(
        lambda: any(not w.alive for w in sessions.windows([server]).windows), "bob's pane to die"
    )
    by_name = {w.window: w for w in sessions.windows([server]).windows}

    assert by_name["alice-codex"].alive
    assert by_name["alice-codex"].foreground == "sleep"
    assert by_name["alice-codex"].last_activity is not None
    assert not by_name["bob-codex"].alive


def test_a_server_that_is_not_running_has_no_windows(
    sessions: LauncherTmuxSessions, place: Path, account: LinuxAccount
) -> None:
    listing = sessions.windows([TmuxServer(str(place / "nobody" / "tmux"), account)])

    assert listing.windows == ()
    assert listing.unreadable == frozenset()


def test_a_server_that_does_not_answer_is_unreadable_and_the_others_are_listed(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer, launcher: AccountLauncher,
    socket: str,
) -> None:  # fmt: skip
    sessions.launch(spec())
    hung = attrs.evolve(server, socket=str(Path(socket).with_name("hung")))
    sessions.launch(spec(socket=hung.socket))
    tmux_as_owner(hung.socket, "set-hook", "-g", "after-list-windows", "run-shell 'sleep 30'")
    quick = LauncherTmuxSessions(launcher=launcher, read_timeout=1)

    listing = quick.windows([hung, server])

    assert [w.socket for w in listing.windows] == [server.socket]
    assert listing.unreadable == frozenset({hung.socket})


def test_kill_window_and_sessions_remove_them_and_missing_ones_are_no_error(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer
) -> None:
    sessions.launch(spec(window="alice-codex"))
    sessions.launch(spec(window="bob-codex"))
    sessions.launch(spec(session="other-p2"))
    sessions.launch(spec(session="third-p3"))

    def listed() -> list[tuple[str, str]]:
        return sorted((w.session, w.window) for w in sessions.windows([server]).windows)

    sessions.kill_window(server, "acme-web-p1", "alice-codex")
    sessions.kill_window(server, "acme-web-p1", "alice-codex")
    assert listed() == [
        ("acme-web-p1", "bob-codex"), ("other-p2", "alice-codex"), ("third-p3", "alice-codex")
    ]  # fmt: skip
    sessions.kill_sessions(server, ["acme-web-p1", "acme-web", "other-p2"])  # "acme-web": none
    assert listed() == [("third-p3", "alice-codex")]
    sessions.kill_sessions(server, ["acme-web-p1"])
    sessions.kill_sessions(server, ["third-p3"])
    sessions.kill_window(server, "third-p3", "alice-codex")  # the server is gone too
    sessions.kill_sessions(server, ["third-p3"])


def test_kill_sessions_asks_tmux_once_for_many(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer, place: Path,
    launcher: AccountLauncher,
) -> None:  # fmt: skip
    names = [f"gone{n}-p{n}" for n in range(1, 31)]
    for name in names:
        sessions.launch(spec(session=name))
    sessions.launch(spec(session="kept-p99"))
    calls = place / "calls"
    calls.touch(mode=0o666)
    calls.chmod(0o666)
    counting = place / "counting-tmux"
    counting.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec tmux "$@"\n')
    counting.chmod(0o755)
    counted = LauncherTmuxSessions(launcher=with_program(launcher, "tmux", counting))

    counted.kill_sessions(server, names)

    assert [w.session for w in sessions.windows([server]).windows] == ["kept-p99"]
    assert len(calls.read_text().splitlines()) == 1


def test_capture_of_a_missing_window_is_not_found(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer
) -> None:
    sessions.launch(spec())

    with pytest.raises(NotFound):
        sessions.capture(server, "acme-web-p1", "nobody-codex")


def test_send_text_types_literally_then_presses_enter(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer, account: LinuxAccount
) -> None:
    launched = sessions.launch(
        spec(argv=("sh", "-c", 'while read -r line; do echo "got[$line]"; done'))
    )
    window = launched.window

    for text in ("hello world", "-n not an option", "ends with;", "a;b", "", "'quoted' \"too\""):
        sessions.send_text(server, window.session, window.window, text)
        wait_for_output(sessions, account, window, f"got[{text}]")


@pytest.mark.parametrize(
    ("session", "window"),
    [("acme:1", "alice-codex"), ("acme-p1", "alice.codex"), ("-t", "alice"), ("acme", "Alice")],
)
def test_unsafe_names_are_refused_before_tmux_sees_them(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer, session: str, window: str
) -> None:
    with pytest.raises(ValidationError):
        sessions.launch(spec(session=session, window=window))
    with pytest.raises(ValidationError):
        sessions.send_text(server, session, window, "hi")


@needs_root
def test_every_call_works_over_the_launchers_socket(
    over_socket: AccountLauncher, spec: Spec, fake_cli: Path, server: TmuxServer,
    account: LinuxAccount,
) -> None:  # fmt: skip
    sessions = LauncherTmuxSessions(launcher=over_socket)

    launched = sessions.launch(fake_cli_spec(spec, fake_cli, secret_env={"OPENAI_API_KEY": "k"}))
    focused = sessions.launch(fake_cli_spec(spec, fake_cli))
    other = sessions.launch(
        spec(window="bob-shell", argv=("sh", "-c", "read -r l; echo got-$l; sleep 600"))
    )
    screen = wait_for_output(sessions, account, launched.window, "ready")
    sessions.send_text(server, other.window.session, other.window.window, "hi")
    wait_for_output(sessions, account, other.window, "got-hi")
    listed = sorted(w.window for w in sessions.windows([server]).windows)
    sessions.kill_window(server, "acme-web-p1", "bob-shell")
    sessions.kill_sessions(server, ["acme-web-p1"])

    assert (launched.created, focused.created) == (True, False)
    assert f"uid={account.uid}" in screen
    assert listed == ["alice-codex", "bob-shell"]
    assert sessions.windows([server]).windows == ()
