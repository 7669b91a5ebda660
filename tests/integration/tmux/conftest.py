"""Real tmux servers for the adapter's tests: a private socket per test (never the default
server), killed at teardown; a throwaway Linux account when the tests run as root (CI does),
otherwise the current, unprivileged user. The tests' own tmux clients run as the server's
owner too (`tmux_as_owner`), as aiops's do."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from aiops.adapters.launching import AccountLauncher
from aiops.adapters.tmux import LauncherTmuxSessions
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import TmuxServer, TmuxWindow, WindowSpec
from tests.accounts import (  # noqa: F401 - re-exported for the tmux tests
    IS_ROOT,
    launcher_as_root,
    needs_root,
    remove_account,
    running_processes,
    throwaway_account,
)

# The fake AI CLI: what it sees of its world, names (never values) of its environment, then a
# wait so the pane stays alive.
FAKE_CLI = """#!/bin/sh
echo "cwd=$(pwd)"
echo "uid=$(id -u)"
echo "home=$HOME user=$USER logname=$LOGNAME"
if [ -f "$HOME/.codex/auth.json" ]; then echo "credentials=found"; else echo "credentials=missing"; fi
echo "env=$(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p' | sort | tr '\\n' ' ')"
echo "ready"
exec sleep 600
"""


@pytest.fixture
def account() -> Iterator[LinuxAccount]:
    """A throwaway account (root), or the current user (without root)."""
    with throwaway_account() as found:
        yield found


@pytest.fixture
def place(account: LinuxAccount) -> Iterator[Path]:
    """A folder every account can pass through (pytest's tmp_path is root's alone); each tmux
    server whose socket lies below it is killed at the end (before the account goes)."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-tmux-test-"))
    folder.chmod(0o711)
    try:
        yield folder
    finally:
        for socket in folder.rglob("*"):
            if socket.is_socket():
                tmux_as_owner(socket, "kill-server")
        shutil.rmtree(folder, ignore_errors=True)


def tmux_as_owner(socket: str | Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The test's own tmux client of a server, run as the socket's owner (never as root: the
    server's hooks would act through a root client)."""
    owner = os.lstat(socket).st_uid if os.path.lexists(socket) else os.getuid()
    switch: dict[str, Any] = {}
    if IS_ROOT and owner != 0:
        switch = {"user": owner, "group": pwd.getpwuid(owner).pw_gid, "extra_groups": []}
    return subprocess.run(
        ["tmux", "-S", str(socket), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        **switch,
    )


@pytest.fixture
def launcher(place: Path) -> AccountLauncher:
    return launcher_as_root(place)


@pytest.fixture
def sessions(launcher: AccountLauncher) -> LauncherTmuxSessions:
    return LauncherTmuxSessions(launcher=launcher)


@pytest.fixture
def tmpdir_1777(place: Path) -> Path:
    """AIOPS_TMUX_TMPDIR as /tmp is: every account makes its own tmux-<uid> folder in it."""
    folder = place / "tmux"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


@pytest.fixture
def socket(tmpdir_1777: Path, account: LinuxAccount) -> str:
    return str(tmpdir_1777 / f"tmux-{account.uid}" / "default")


@pytest.fixture
def server(socket: str, account: LinuxAccount) -> TmuxServer:
    return TmuxServer(socket, account)


@pytest.fixture
def fake_cli(place: Path) -> Path:
    """`codex`, the fake AI CLI, in a folder of its own (put on PATH through the spec's env)."""
    folder = place / "bin"
    folder.mkdir(mode=0o755)
    cli = folder / "codex"
    cli.write_text(FAKE_CLI)
    cli.chmod(0o755)
    return cli


@pytest.fixture
def workspace(place: Path, account: LinuxAccount) -> Path:
    folder = place / "workspaces" / "acme-web"
    folder.mkdir(parents=True)
    (place / "workspaces").chmod(0o755)
    for made in (folder.parent, folder):
        os.chown(made, account.uid, account.gid)
    return folder


@pytest.fixture
def spec(socket: str, account: LinuxAccount, workspace: Path) -> Callable[..., WindowSpec]:
    def make(**changes: object) -> WindowSpec:
        base = WindowSpec(
            socket=socket,
            session="acme-web-p1",
            window="alice-codex",
            account=account,
            cwd=str(workspace),
            argv=("sleep", "600"),
            login_shell=False,
        )
        return attrs.evolve(base, **changes)

    return make


def wait_for(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_for_output(
    sessions: LauncherTmuxSessions,
    account: LinuxAccount,
    window: TmuxWindow,
    text: str,
    timeout: float = 10,
) -> str:
    screen = ""
    server = TmuxServer(window.socket, account)

    def shown() -> bool:
        nonlocal screen
        screen = sessions.capture(server, window.session, window.window)
        return text in screen

    try:
        wait_for(shown, f"{text!r} in the pane", timeout)
    except AssertionError:
        raise AssertionError(f"{text!r} never showed; the pane holds:\n{screen}") from None
    return screen


@attrs.define
class CmdlineWatch:
    """Reads every process's command line until stopped; keeps any that holds the canary."""

    canary: str
    hits: list[str] = attrs.field(factory=list)
    rounds: int = 0
    _stop: threading.Event = attrs.field(factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
                    except OSError:
                        continue
                    if self.canary in cmdline:
                        self.hits.append(cmdline)
            self.rounds += 1

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture
def cmdline_watch() -> Iterator[Callable[[str], CmdlineWatch]]:
    started: list[tuple[CmdlineWatch, threading.Thread]] = []

    def watch(canary: str) -> CmdlineWatch:
        watcher = CmdlineWatch(canary)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        started.append((watcher, thread))
        return watcher

    yield watch
    for watcher, thread in started:
        watcher.stop()
        thread.join(timeout=5)
