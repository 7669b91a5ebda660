"""aiops launcher: the one process of aiops that runs as root (docs/security.md)."""

from __future__ import annotations

import os
import signal
import threading
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
    import pwd

    from dependency_injector import providers

    from aiops.adapters.launcher.oracle import ServiceOracle
    from aiops.adapters.launcher.server import LauncherServer
    from aiops.adapters.launcher.switch import Account
    from aiops.domain.errors import DomainError
    from aiops.entrypoints.cli._runtime import open_container
    from aiops.log import get_logger

    if os.geteuid() != 0:
        raise DomainError("the launcher runs as root (it switches to each user's account)")
    # Root never opens the service's database: the schema check and the account mapping are
    # left to the service account (see ServiceOracle).
    container = open_container(check_schema=False, separate=False)
    settings = container.settings()
    try:
        service = pwd.getpwnam(settings.service_user)
    except KeyError:
        raise DomainError(
            f"the service account {settings.service_user!r} does not exist "
            "(create it, or start `aiops serve` as root, which does)"
        ) from None
    groups = tuple(os.getgrouplist(service.pw_name, service.pw_gid))
    oracle = ServiceOracle(
        Account(service.pw_name, service.pw_uid, service.pw_gid, service.pw_dir, "", groups),
        container.mapped_accounts(),
    )
    container.mapped_accounts.override(providers.Object(oracle))
    path = socket or settings.launcher_socket_path
    log = get_logger("aiops.launcher")
    server = LauncherServer(
        str(path),
        executor=container.launcher_executor(),
        peer_uid=service.pw_uid,
        socket_gid=service.pw_gid,
        log=log.info,
    )
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda *_: stop.set())
    if parent_fd is not None:
        threading.Thread(target=_watch, args=(parent_fd, stop), daemon=True).start()
    log.info("launcher.listening", socket=str(path), service_user=settings.service_user)
    try:
        server.serve_until(stop)
    finally:
        Path(path).unlink(missing_ok=True)
        oracle.close()


def _watch(fd: int, stop: threading.Event) -> None:
    """The parent holds the other end of this pipe: its end (exit, crash) ends the launcher."""
    while os.read(fd, 1):
        pass
    stop.set()
