"""LauncherTerminals against a real tmux server on a private socket, its clients started as the
server's account by the launcher, in this process and over the launcher's socket: the screen
comes out of the pty, keys go in, the size follows, a watcher's keys never reach the pane,
closing leaves the window, a flood keeps memory bounded."""

from __future__ import annotations

import os
import re
import select
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launching import AccountLauncher, InProcessBackend, SocketBackend
from aiops.adapters.tmux import LauncherTmuxSessions
from aiops.adapters.tmux.terminals import GROUP_PREFIX, LauncherTerminals
from aiops.domain.errors import NotFound, ValidationError
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.terminals import TerminalClient
from aiops.ports.tmux import TmuxServer, TmuxWindow, WindowSpec
from tests.integration.tmux.conftest import IS_ROOT, tmux_as_owner, wait_for, wait_for_output

Spec = Callable[..., WindowSpec]
ECHO = 'echo marker-ready; while read -r l; do echo "got[$l]"; done'
COLS = 'echo marker-ready; while read -r l; do echo "cols[$(tput cols)]"; done'
ESCAPES = re.compile(rb"\x1b(\[[0-9;?>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|.)")


@pytest.fixture
def over_socket(launcher: AccountLauncher, place: Path) -> Iterator[AccountLauncher]:
    """The launcher as the web server reaches it: over its socket (served by a thread here)."""
    if not IS_ROOT:
        pytest.skip("the launcher's socket serves root only")
    assert isinstance(launcher.backend, InProcessBackend)
    path = str(place / "launcher.sock")
    server = LauncherServer(path, executor=launcher.backend.executor, peer_uid=0)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,))
    thread.start()
    yield attrs.evolve(launcher, backend=SocketBackend(path))
    stop.set()
    thread.join(timeout=10)


@pytest.fixture(params=["in_process", "over_socket"])
def terminals(request: pytest.FixtureRequest, launcher: AccountLauncher) -> LauncherTerminals:
    """The same clients by both ways aiops reaches the launcher."""
    if request.param == "in_process":
        return LauncherTerminals(launcher=launcher)
    return LauncherTerminals(launcher=request.getfixturevalue("over_socket"))


@pytest.fixture
def clients() -> Iterator[list[TerminalClient]]:
    opened: list[TerminalClient] = []
    yield opened
    for client in opened:
        client.close()


@attrs.define
class Screen:
    """What a client has shown so far, escape sequences removed."""

    client: TerminalClient
    raw: bytearray = attrs.field(factory=bytearray)

    def read(self, timeout: float = 0.05) -> bool:
        """Read what is there; False once the client has ended."""
        ready, _, _ = select.select([self.client.fileno()], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.client.fileno(), 65536)
        except BlockingIOError:
            return True
        except OSError:  # EIO: the client's side of the pty is gone
            return False
        self.raw += chunk
        return bool(chunk)

    @property
    def text(self) -> str:
        return ESCAPES.sub(b"", bytes(self.raw)).decode(errors="replace")

    def wait_for(self, text: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            assert time.monotonic() < deadline, f"{text!r} never showed; got:\n{self.text[-2000:]}"
            self.read()

    def type(self, data: bytes) -> None:
        os.write(self.client.fileno(), data)


def attach(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    server: TmuxServer,
    window: TmuxWindow,
    *,
    read_only: bool = False,
    cols: int = 80,
    rows: int = 24,
) -> Screen:
    client = terminals.attach(
        server, window.session, window.window, read_only=read_only, cols=cols, rows=rows
    )
    clients.append(client)
    return Screen(client)


def client_pids(socket: str) -> list[int]:
    listed = tmux_as_owner(socket, "list-clients", "-F", "#{client_pid}").stdout
    return [int(pid) for pid in listed.split()]


def test_the_client_shows_the_window_and_what_is_typed_reaches_the_pane(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    window = sessions.launch(spec(argv=("sh", "-c", ECHO))).window
    wait_for_output(sessions, account, window, "marker-ready")

    screen = attach(terminals, clients, server, window)
    screen.wait_for("marker-ready")
    screen.type(b"hello-terminal\r")

    wait_for_output(sessions, account, window, "got[hello-terminal]")
    screen.wait_for("got[hello-terminal]")


def test_the_client_runs_as_the_servers_account_with_a_true_colour_terminal(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    window = sessions.launch(spec()).window

    screen = attach(terminals, clients, server, window)
    screen.read(0.5)
    wait_for(lambda: len(client_pids(server.socket)) == 1, "the client to attach")
    features = tmux_as_owner(server.socket, "display-message", "-p", "#{client_termfeatures}")

    (pid,) = client_pids(server.socket)
    assert not os.get_inheritable(screen.client.fileno())
    assert os.get_blocking(screen.client.fileno()) is False
    assert os.stat(f"/proc/{pid}").st_uid == account.uid
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"TERM=xterm-256color" in environ
    assert b"COLORTERM=truecolor" in environ
    assert "RGB" in features.stdout


def test_the_window_follows_the_clients_size(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    window = sessions.launch(spec(argv=("sh", "-c", COLS))).window
    wait_for_output(sessions, account, window, "marker-ready")

    screen = attach(terminals, clients, server, window, cols=101, rows=30)
    screen.wait_for("marker-ready")

    def asked(cols: int) -> bool:  # tmux resizes the pane a moment after the client's size
        screen.type(b"\r")
        time.sleep(0.1)
        return f"cols[{cols}]" in sessions.capture(server, window.session, window.window)

    wait_for(lambda: asked(101), "the pane to take the client's width")
    screen.client.resize(133, 40)
    wait_for(lambda: asked(133), "the pane to take the new width")
    screen.wait_for("cols[133]")


def test_the_window_takes_the_smallest_writers_size_and_a_watchers_never(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
) -> None:
    window = sessions.launch(spec(argv=("sh", "-c", ECHO))).window
    target = f"={window.session}:={window.window}"

    def width() -> str:
        shown = tmux_as_owner(
            server.socket, "display-message", "-p", "-t", target, "#{window_width}"
        )
        return shown.stdout.strip()

    laptop = attach(terminals, clients, server, window, cols=120, rows=40)
    laptop.wait_for("marker-ready")
    wait_for(lambda: width() == "120", "the laptop's width")
    phone = attach(terminals, clients, server, window, cols=50, rows=30)
    watcher = attach(terminals, clients, server, window, read_only=True, cols=30, rows=10)
    watcher.wait_for("marker-ready")
    wait_for(lambda: width() == "50", "the phone's width, the smallest writer's")
    phone.client.close()

    wait_for(lambda: width() == "120", "the laptop's width again")


def test_a_watchers_keys_never_reach_the_pane(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    window = sessions.launch(spec(argv=("sh", "-c", ECHO))).window
    wait_for_output(sessions, account, window, "marker-ready")

    watcher = attach(terminals, clients, server, window, read_only=True)
    watcher.wait_for("marker-ready")
    watcher.type(b"from-the-watcher\r")
    writer = attach(terminals, clients, server, window)
    writer.wait_for("marker-ready")
    writer.type(b"from-the-writer\r")

    pane = wait_for_output(sessions, account, window, "got[from-the-writer]")
    watcher.wait_for("got[from-the-writer]")  # the watcher sees the screen all the same
    assert "from-the-watcher" not in pane


def test_closing_ends_the_client_and_leaves_the_window(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    window = sessions.launch(spec(argv=("sh", "-c", ECHO))).window
    screen = attach(terminals, clients, server, window)
    screen.wait_for("marker-ready")
    wait_for(lambda: len(client_pids(server.socket)) == 1, "the client to attach")
    (pid,) = client_pids(server.socket)

    screen.client.close()
    screen.client.close()  # idempotent

    wait_for(lambda: client_pids(server.socket) == [], "the client to go")
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    listed = sessions.windows([server]).windows
    assert [(w.window, w.alive) for w in listed] == [(window.window, True)]
    sessions.send_text(server, window.session, window.window, "still-there")
    wait_for_output(sessions, account, window, "got[still-there]")


def test_two_terminals_on_two_windows_of_one_session_each_keep_their_own(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    first = sessions.launch(spec(argv=("sh", "-c", "echo first-window; " + ECHO))).window
    second = sessions.launch(
        spec(window="bob-codex", argv=("sh", "-c", "echo second-window; " + ECHO))
    ).window
    assert first.session == second.session  # two agents of one project

    one = attach(terminals, clients, server, first)
    one.wait_for("first-window")
    two = attach(terminals, clients, server, second)
    two.wait_for("second-window")
    one.type(b"typed-in-one\r")
    two.type(b"typed-in-two\r")

    wait_for_output(sessions, account, first, "got[typed-in-one]")
    wait_for_output(sessions, account, second, "got[typed-in-two]")
    assert "typed-in-two" not in sessions.capture(server, first.session, first.window)
    assert "typed-in-one" not in sessions.capture(server, second.session, second.window)
    shown = tmux_as_owner(server.socket, "list-sessions", "-F", "#{session_name} #{?mouse,on,off}")
    own = [line for line in shown.stdout.splitlines() if line.startswith(GROUP_PREFIX)]
    assert len(own) == 2
    assert all(line.endswith(" on") for line in own)  # the wheel scrolls tmux's history
    assert f"{first.session} off" in shown.stdout.splitlines()  # the user's own: untouched

    one.client.close()
    two.client.close()
    wait_for(
        lambda: GROUP_PREFIX not in tmux_as_owner(server.socket, "list-sessions").stdout,
        "the terminals' own sessions to go with their clients",
    )
    listed = sessions.windows([server]).windows
    assert sorted((w.session, w.window) for w in listed) == sorted(
        [(first.session, first.window), (second.session, second.window)]
    )


def test_a_detach_ends_the_clients_output(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
) -> None:
    window = sessions.launch(spec(argv=("sh", "-c", ECHO))).window
    screen = attach(terminals, clients, server, window)
    screen.wait_for("marker-ready")
    # A program types faster than a person: keys within assume-paste-time of the one before are
    # a paste to tmux, and no binding (the prefix among them) is looked up for them.
    tmux_as_owner(server.socket, "set-option", "-g", "assume-paste-time", "0")
    screen.type(b"settled\r")  # tmux has had the client's first keys (and its replies)
    screen.wait_for("got[settled]")

    screen.type(b"\x02d")  # tmux's prefix, then d
    deadline = time.monotonic() + 10
    while screen.read():
        assert time.monotonic() < deadline, f"the client never ended: {screen.text[-900:]!r}"

    assert "detached" in screen.text
    assert [w.window for w in sessions.windows([server]).windows] == [window.window]


def test_a_flood_keeps_memory_bounded_and_the_client_catches_up(
    terminals: LauncherTerminals,
    clients: list[TerminalClient],
    sessions: LauncherTmuxSessions,
    spec: Spec,
    server: TmuxServer,
    account: LinuxAccount,
) -> None:
    flood = (
        "echo marker-ready; read -r l; yes flood-line | head -c 20000000; echo; echo flood-over;"
        ' read -r l; echo "after[$l]"; sleep 600'
    )
    window = sessions.launch(spec(argv=("sh", "-c", flood))).window
    wait_for_output(sessions, account, window, "marker-ready")
    tmux_pid = int(tmux_as_owner(server.socket, "display-message", "-p", "#{pid}").stdout)
    before = rss(tmux_pid)
    mine = rss(os.getpid())

    screen = attach(terminals, clients, server, window)
    screen.wait_for("marker-ready")
    screen.type(b"now\r")
    peak = 0
    deadline = time.monotonic() + 2  # the reader stops reading for 2 s
    while time.monotonic() < deadline:
        peak = max(peak, rss(tmux_pid))
        time.sleep(0.05)
    screen.wait_for("flood-over", timeout=60)
    screen.type(b"caught-up\r")
    screen.wait_for("after[caught-up]")

    assert peak - before < 64 * 1024 * 1024, f"tmux grew by {(peak - before) >> 20} MiB"
    assert rss(os.getpid()) - mine < 16 * 1024 * 1024
    assert len(screen.raw) < 20_000_000  # tmux sent a screen, not every line of the flood


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_missing_window_or_server_is_not_found(
    terminals: LauncherTerminals, sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer
) -> None:
    with pytest.raises(NotFound):
        terminals.attach(server, "acme-web-p1", "alice-codex", read_only=False, cols=80, rows=24)
    window = sessions.launch(spec()).window

    with pytest.raises(NotFound):
        terminals.attach(server, window.session, "bob-shell", read_only=False, cols=80, rows=24)
    with pytest.raises(NotFound):
        terminals.attach(server, "acme-web", window.window, read_only=False, cols=80, rows=24)
    assert client_pids(server.socket) == []


@pytest.mark.parametrize(("cols", "rows"), [(0, 24), (80, 0), (1001, 24), (80, 5000)])
def test_a_size_out_of_bounds_is_refused(
    terminals: LauncherTerminals, sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer,
    cols: int, rows: int,
) -> None:  # fmt: skip
    window = sessions.launch(spec()).window

    with pytest.raises(ValidationError):
        terminals.attach(server, window.session, window.window, read_only=False, cols=cols,
                         rows=rows)  # fmt: skip
    assert client_pids(server.socket) == []
