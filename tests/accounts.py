"""Throwaway Linux accounts for tests that run as root (CI does), and the launcher that acts
as them. Without root, `throwaway_account` yields the current user instead."""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.switch import AccountRules
from aiops.adapters.launching import AccountLauncher, InProcessBackend
from aiops.adapters.system_accounts import uid_min
from aiops.container import launcher_programs
from aiops.ports.linux_users import LinuxAccount

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(
    not IS_ROOT, reason="switching to another Linux account needs root (CI runs as root)"
)


def account_named(name: str) -> LinuxAccount:
    entry = pwd.getpwnam(name)
    return LinuxAccount(
        name=name,
        uid=entry.pw_uid,
        gid=entry.pw_gid,
        home=entry.pw_dir,
        shell=entry.pw_shell or "/bin/sh",
    )


@contextmanager
def throwaway_account(prefix: str = "aiops-t") -> Iterator[LinuxAccount]:
    """A new account with a HOME (root), removed with its processes and HOME at the end; the
    current user when not root."""
    if not IS_ROOT:
        yield account_named(pwd.getpwuid(os.getuid()).pw_name)
        return
    name = f"{prefix}-{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "--create-home", "--shell", "/bin/bash", name], check=True, capture_output=True
    )
    try:
        yield account_named(name)
    finally:
        remove_account(name)


_service: list[str] = []


def service_user() -> str:
    """The service account a test's `aiops serve` started as root becomes (one per test
    process, a system account made on first use and removed when the process exits)."""
    if not _service:
        name = f"aiops-svc-{secrets.token_hex(3)}"
        subprocess.run(
            ["useradd", "--system", "--user-group", "--create-home", "--home-dir",
             f"/tmp/{name}", "--shell", "/usr/sbin/nologin", name],
            check=True, capture_output=True,
        )  # fmt: skip
        _service.append(name)
        atexit.register(remove_account, name)
    return _service[0]


def open_folder(prefix: str) -> Path:
    """A new folder every account may pass through (pytest's tmp_path is root's alone, and
    pytest puts its folder back to 0700 when another worker starts): the caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o711)
    return folder


def remove_account(name: str) -> None:
    """Its processes first (userdel refuses an account still in use), then it and its HOME."""
    deadline = time.monotonic() + 10
    while running_processes(name):
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True, check=False)
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    removed = subprocess.run(["userdel", "-r", name], capture_output=True, text=True, check=False)
    assert removed.returncode in (0, 12), (
        f"userdel {name}: {removed.stderr.strip()}"
    )  # 12: no mail spool


def running_processes(name: str) -> bool:
    """Whether a process of the account is alive. Zombies do not count: they are dead, and
    userdel lets them be; orphans wait for PID 1 to reap them, which takes over a second on
    some machines (as on CI's), a second per test for nothing."""
    listed = subprocess.run(
        ["ps", "-u", name, "-o", "stat="], capture_output=True, text=True, check=False
    )
    return any(not state.startswith("Z") for state in listed.stdout.split())


def launcher_as_root(
    workspace_root: Path, mapped: Callable[[str], bool] = lambda _: True
) -> AccountLauncher:
    """The launcher as aiops uses it when it runs as root (the launcher's code in this
    process, each act in a child that becomes the account), for adapter tests without a
    database: by default every account a person could have counts as mapped."""
    executor = Executor(
        rules=AccountRules(minimum=uid_min(), deny=frozenset({"nobody"}), mapped=mapped),
        programs=launcher_programs(),
        workspace_root=workspace_root,
    )
    return AccountLauncher(
        backend=InProcessBackend(executor) if IS_ROOT else None,
        programs=launcher_programs(),
        workspace_root=workspace_root,
    )
