"""`python -m aiops.entrypoints.launcher_daemon CONFIG`: the launcher as a daemon.

`aiops launcher` reads and checks the settings, then execs this: a lean process (the
launcher's modules and logging, no container, no database, no web framework), because every
request forks it and a fork costs in proportion to the memory the process maps. The check of
which accounts are mapped runs in a child that becomes the service account first, and only
then imports the container to read the database.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.oracle import ServiceOracle
from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launcher.switch import Account, AccountRules
from aiops.log import configure_logging, get_logger


def mapped_from_settings() -> Callable[[str], bool]:
    """In the oracle child, as the service account: the users of the service's database."""
    from aiops.container import bootstrap  # noqa: PLC0415 - only the child needs it

    check: Callable[[str], bool] = bootstrap().gateways.mapped_accounts()
    return check


def serve(config: dict[str, Any], stop: threading.Event) -> None:
    log = get_logger("aiops.launcher")
    service = Account(**{**config["service"], "groups": tuple(config["service"]["groups"])})
    oracle = ServiceOracle(service, mapped_from_settings)
    executor = Executor(
        rules=AccountRules(
            minimum=config["minimum"], deny=frozenset(config["deny"]), mapped=oracle
        ),
        programs={name: tuple(argv) for name, argv in config["programs"].items()},
        workspace_root=Path(config["workspace_root"]),
        npm=config["npm"],
        packages=frozenset(config["packages"]),
        log=log.info,
    )
    path = config["socket"]
    server = LauncherServer(
        path, executor=executor, peer_uid=service.uid, socket_gid=service.gid, log=log.info
    )
    if config.get("parent_fd") is not None:
        threading.Thread(target=_watch, args=(config["parent_fd"], stop), daemon=True).start()
    log.info("launcher.listening", socket=path, service_user=service.name)
    try:
        server.serve_until(stop)
    finally:
        Path(path).unlink(missing_ok=True)
        oracle.close()
        log.info("launcher.stopped", socket=path)


def _watch(fd: int, stop: threading.Event) -> None:
    """The parent holds the other end of this pipe: its end (exit, crash) ends the launcher."""
    while os.read(fd, 1):
        pass
    stop.set()


def main() -> None:
    config = json.loads(sys.argv[1])
    configure_logging(fmt=config["log_format"], level=config["log_level"])
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, lambda *_: stop.set())
    serve(config, stop)


if __name__ == "__main__":
    main()
