"""aiops launcher: the one process of aiops that runs as root (docs/security.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer


def launcher(
    socket: Annotated[
        Path | None,
        typer.Option(help="The unix socket to listen on (default AIOPS_LAUNCHER_SOCKET)."),
    ] = None,
    parent_fd: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when this descriptor (a pipe) reaches its end."),
    ] = None,
) -> None:
    """Run the launcher as root: it acts in users' spaces, as each user, for the service
    account (AIOPS_SERVICE_USER) alone. `aiops serve` started as root starts it by itself."""
    import json
    import pwd
    import shutil
    import sys

    from aiops.adapters.npm_installer import allowlisted_packages
    from aiops.adapters.system_accounts import uid_min
    from aiops.config import load_settings
    from aiops.container import launcher_programs
    from aiops.domain.errors import DomainError

    if os.geteuid() != 0:
        raise DomainError("the launcher runs as root (it switches to each user's account)")
    settings = load_settings()
    try:
        service = pwd.getpwnam(settings.service_user)
    except KeyError:
        raise DomainError(
            f"the service account {settings.service_user!r} does not exist "
            "(create it, or start `aiops serve` as root, which does)"
        ) from None
    if service.pw_uid == 0:
        raise DomainError(f"AIOPS_SERVICE_USER={service.pw_name} is root: it never is")
    config = {
        "socket": str(socket or settings.launcher_socket_path),
        "service": {
            "name": service.pw_name,
            "uid": service.pw_uid,
            "gid": service.pw_gid,
            "home": service.pw_dir,
            "shell": service.pw_shell,
            "groups": os.getgrouplist(service.pw_name, service.pw_gid),
        },
        "minimum": uid_min(),
        "deny": sorted(settings.linux_user_deny_list),
        "programs": launcher_programs(),
        "workspace_root": str(settings.workspace_root),
        "npm": shutil.which(settings.npm) or settings.npm,
        "packages": sorted(allowlisted_packages()),
        "parent_fd": parent_fd,
        "log_format": settings.log_format,
        "log_level": settings.log_level,
    }
    if parent_fd is not None:
        os.set_inheritable(parent_fd, True)
    daemon = "aiops.entrypoints.launcher_daemon"
    os.execv(sys.executable, [sys.executable, "-m", daemon, json.dumps(config)])  # noqa: S606
