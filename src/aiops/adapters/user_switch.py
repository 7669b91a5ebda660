"""Start a process as a Linux account, with that account's identity and nothing of aiops's.

The switch is subprocess's own (`user=`, `group=`, `extra_groups=`): in the child, CPython's
`_posixsubprocess.child_exec` calls setgroups, then setregid, then setreuid, and only then
`preexec_fn` (Modules/_posixsubprocess.c; checked on this machine too: the hook sees the
account's uid, gid and groups). So the hook below runs as the account, and proves the switch
cannot be undone before anything of the account's is executed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from aiops.domain.model.sessions import SessionRefused
from aiops.ports.linux_users import LinuxAccount

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
DEFAULT_TERM = "xterm-256color"
DEFAULT_LANG = "C.UTF-8"


class RegainedRoot(RuntimeError):
    """Raised in the child when it could become root again after the switch."""


def switch_needed(account: LinuxAccount, euid: int | None = None) -> bool:
    """Whether starting a process as `account` takes a switch; refuses what may never run:
    a root account, or another user's process when aiops is not root and cannot switch."""
    euid = os.geteuid() if euid is None else euid
    if account.uid == 0:
        raise SessionRefused(f"{account.name} is root (uid 0): sessions never run as root")
    if euid == account.uid:
        return False
    if euid != 0:
        raise SessionRefused(
            f"aiops runs as uid {euid}, not root: it cannot start processes as {account.name}"
        )
    return True


def account_environment(
    account: LinuxAccount, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The whole environment of a process run as `account`: its identity (which `env` cannot
    override), a sane PATH, TERM and LANG (which it can), and `env`."""
    base = {"PATH": DEFAULT_PATH, "TERM": DEFAULT_TERM, "LANG": DEFAULT_LANG}
    identity = {
        "HOME": account.home,
        "USER": account.name,
        "LOGNAME": account.name,
        "SHELL": account.shell,
    }
    return base | dict(env or {}) | identity


def cannot_regain_root() -> None:
    """The child's last check before exec: setuid(0) must fail. If it succeeds, the switch did
    not hold (a setuid-root interpreter, a capability left over): abort the child."""
    try:
        os.setuid(0)
    except PermissionError:
        return
    os.write(2, b"aiops: the child could become root again after switching user; aborted\n")
    raise RegainedRoot("the child could become root again after switching user")


def start_as(
    account: LinuxAccount,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    stdin: int | None = subprocess.DEVNULL,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """`argv` running as `account` (switching to it when aiops is root), in a clean
    environment (see `account_environment`)."""
    switch = switch_needed(account)
    ids: dict[str, object] = {}
    if switch:
        ids = {
            "user": account.uid,
            "group": account.gid,
            "extra_groups": os.getgrouplist(account.name, account.gid),
        }
    try:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            list(argv),
            env=account_environment(account, env),
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            close_fds=True,
            preexec_fn=cannot_regain_root,  # noqa: PLW1509 - must run after the switch
            **ids,
        )
    except subprocess.SubprocessError as error:
        raise SessionRefused(
            f"the process for {account.name} could become root again after the switch; not started"
        ) from error


def run_as(
    account: LinuxAccount,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30,
) -> subprocess.CompletedProcess[bytes]:
    """`start_as` to completion, its output captured."""
    with start_as(account, argv, env=env, cwd=cwd) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)
