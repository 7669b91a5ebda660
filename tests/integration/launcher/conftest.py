"""The launcher against the real system: throwaway accounts, real forks and switches, a real
unix socket. Everything here runs as root (CI does); without root the tests skip (and with
CI=true a skip fails)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launcher.switch import AccountRules
from aiops.adapters.launching import AccountLauncher, InProcessBackend, SocketBackend
from aiops.adapters.system_accounts import uid_min
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import needs_root, throwaway_account

pytestmark = needs_root


def _measure_children() -> None:
    """Under `coverage run` (make test measures the launcher's branches), the children the
    launcher forks end in os._exit or os.execve, which skip coverage's own saving: save the
    child's measurement first. Nothing happens when coverage is not running."""
    try:
        from coverage import Coverage
    except ImportError:  # pragma: no cover - coverage is a dev dependency
        return

    def saving(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            current = Coverage.current()
            if current is not None:
                with contextlib.suppress(Exception):
                    current.stop()
                    current.save()
            return real(*args)

        return call

    def in_child() -> None:
        if Coverage.current() is not None:
            os._exit = saving(os._exit)
            os.execve = saving(os.execve)

    os.register_at_fork(after_in_child=in_child)


_measure_children()

PROGRAMS = {
    "id": ("/usr/bin/id",),
    "sh": ("/bin/sh",),
    "true": ("/bin/true",),
    "missing": ("/nonexistent/program",),
}


@pytest.fixture(scope="module")
def account() -> Iterator[LinuxAccount]:
    """An account an aiops user is mapped to."""
    with throwaway_account("aiops-l") as found:
        yield found


@pytest.fixture(scope="module")
def stranger() -> Iterator[LinuxAccount]:
    """A person's account no aiops user is mapped to."""
    with throwaway_account("aiops-s") as found:
        yield found


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder every account may pass through (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-launcher-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mine(place: Path, account: LinuxAccount) -> Path:
    """A folder of the account's (0700) in the place."""
    folder = place / "mine"
    folder.mkdir(mode=0o700)
    os.chown(folder, account.uid, account.gid)
    return folder


@pytest.fixture
def logged() -> list[tuple[str, dict[str, object]]]:
    return []


@pytest.fixture
def executor(
    account: LinuxAccount, place: Path, logged: list[tuple[str, dict[str, object]]]
) -> Executor:
    return Executor(
        rules=AccountRules(
            minimum=uid_min(), deny=frozenset({"nobody"}), mapped=lambda name: name == account.name
        ),
        programs=PROGRAMS,
        workspace_root=place / "home",
        npm=str(place / "npm"),
        packages=frozenset({"@openai/codex"}),
        log=lambda event, **fields: logged.append((event, fields)),
    )


@pytest.fixture
def in_process(executor: Executor, place: Path) -> AccountLauncher:
    return AccountLauncher(
        backend=InProcessBackend(executor), programs=PROGRAMS, workspace_root=place / "home"
    )


@pytest.fixture
def server(executor: Executor, place: Path) -> Iterator[LauncherServer]:
    """The launcher on a real socket, serving this (root) process."""
    server = LauncherServer(str(place / "launcher.sock"), executor=executor, peer_uid=0)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,))
    thread.start()
    yield server
    stop.set()
    thread.join(timeout=10)


@pytest.fixture
def over_socket(server: LauncherServer, place: Path) -> AccountLauncher:
    return AccountLauncher(
        backend=SocketBackend(str(server.server_address)),
        programs=PROGRAMS,
        workspace_root=place / "home",
    )


@pytest.fixture(params=["in_process", "over_socket"])
def launcher(request: pytest.FixtureRequest) -> AccountLauncher:
    """The same acts by both ways aiops reaches the launcher."""
    found: AccountLauncher = request.getfixturevalue(request.param)
    return found
