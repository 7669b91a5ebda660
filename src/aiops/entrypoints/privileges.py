"""Started as root, aiops keeps root in one small process and gives up the rest.

`aiops serve` started as root makes the service account when it is missing
(AIOPS_SERVICE_USER, like PostgreSQL's packages make `postgres`), gives it the instance
folder, starts the launcher (or uses the one already listening, e.g. under systemd), and then
becomes the service account for good. Every other command started as root (the scheduler
included) becomes the service account too when the instance already belongs to it (so root
never writes the service's files), and acts in users' spaces through the running launcher;
otherwise (a fresh checkout, the test suite) it stays root and runs the launcher's code in
process. See docs/security.md.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

from aiops.config import Settings
from aiops.domain.errors import AccountRefused, DomainError

LAUNCHER_START_SECONDS = 15.0
USERADD = shutil.which("useradd") or "/usr/sbin/useradd"
# Who started this process, for the audit trail (`cli:<name>`) once it has become the service.
invoked_by: str | None = None


def separate(settings: Settings, *, create: bool) -> bool:
    """Become the service account, with a launcher listening; True when this process switched.
    Does nothing unless root. `create`: make the account and take over the instance folder if
    needed (serve); otherwise only when the instance already is the service's."""
    if os.geteuid() != 0:
        return False
    instance = settings.instance_path.absolute()
    service = _service_account(settings.service_user, instance, create=create)
    if service is None:
        return False
    if not create and _owner(instance) != service.pw_uid:
        return False
    if create:
        _take_over(instance, service)
        _ensure_launcher(settings)
    _export_dotenv()
    os.environ["AIOPS_INSTANCE_PATH"] = str(instance)
    _become(service)
    return True


def _export_dotenv() -> None:
    """.env is often root's alone: its values go into the environment (which wins over .env
    anyway) for this process and the workers it starts, before it can no longer read it."""
    from dotenv import dotenv_values  # noqa: PLC0415 - python-dotenv, as config.py reads it

    for name, value in dotenv_values(".env").items():
        if value is not None:
            os.environ.setdefault(name, value)


def instance_is_the_services(settings: Settings) -> bool:
    """Whether the instance folder belongs to the service account (it was set up before)."""
    try:
        service = pwd.getpwnam(settings.service_user)
    except KeyError:
        return False
    return _owner(settings.instance_path.absolute()) == service.pw_uid


def _service_account(name: str, instance: Path, *, create: bool) -> pwd.struct_passwd | None:
    try:
        found = pwd.getpwnam(name)
    except KeyError:
        if not create:
            return None
        subprocess.run(
            [USERADD, "--system", "--user-group", "--no-create-home", "--home-dir",
             str(instance), "--shell", "/usr/sbin/nologin", "--comment", "aiops service", name],
            check=True, capture_output=True,
        )  # fmt: skip
        found = pwd.getpwnam(name)
        print(f"aiops: created the service account {name} (uid {found.pw_uid})", file=sys.stderr)
    if found.pw_uid == 0:
        raise DomainError(f"AIOPS_SERVICE_USER={name} is root: the service never runs as root")
    return found


def _owner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except FileNotFoundError:
        return None


def _take_over(instance: Path, service: pwd.struct_passwd) -> None:
    from aiops.adapters.launcher.instance import take_over  # noqa: PLC0415 - root starts only
    from aiops.adapters.launcher.protocol import Refused  # noqa: PLC0415

    try:
        take_over(instance, uid=service.pw_uid, gid=service.pw_gid, name=service.pw_name)
    except Refused as refusal:
        raise DomainError(refusal.message) from None


def _ensure_launcher(settings: Settings) -> None:
    """A launcher answering on the socket: the one running (systemd's), or one started now,
    which ends when this process ends (it watches a pipe this process holds)."""
    path = str(settings.launcher_socket_path)
    if _answers(path):
        return
    watched, holder = os.pipe()
    os.set_inheritable(holder, False)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "aiops", "launcher", "--socket", path, "--parent-fd", str(watched)],
        pass_fds=(watched,),
        stdin=subprocess.DEVNULL,
    )
    os.close(watched)
    deadline = time.monotonic() + LAUNCHER_START_SECONDS
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            raise DomainError(f"the launcher exited with status {launcher.returncode}")
        if _answers(path):
            return
        time.sleep(0.02)
    launcher.kill()
    raise DomainError(f"the launcher did not answer on {path} within {LAUNCHER_START_SECONDS} s")


def _answers(path: str) -> bool:
    """Whether a launcher listens at `path`. It answers root with a refusal (it serves the
    service account alone), which is answer enough. The launcher's client is imported here
    only: every CLI command loads this module, few start a launcher."""
    from aiops.adapters.launching import LauncherUnavailable, SocketBackend  # noqa: PLC0415

    try:
        SocketBackend(path).call({"op": "ping"})
    except LauncherUnavailable:
        return False
    except AccountRefused:
        pass
    return True


def _become(service: pwd.struct_passwd) -> None:
    global invoked_by  # noqa: PLW0603 - set once, before the switch
    invoked_by = pwd.getpwuid(os.getuid()).pw_name
    from aiops.adapters.launcher.switch import Account, become  # noqa: PLC0415 - root starts only

    groups = tuple(os.getgrouplist(service.pw_name, service.pw_gid))
    account = Account(
        service.pw_name, service.pw_uid, service.pw_gid, service.pw_dir, service.pw_shell, groups
    )
    try:
        become(account)  # the launcher's own switch, proof that root is gone included
    except RuntimeError as error:
        raise DomainError(f"could not give up root: {error}") from None
    os.environ.update(HOME=service.pw_dir, USER=service.pw_name, LOGNAME=service.pw_name)
    os.umask(0o077)
