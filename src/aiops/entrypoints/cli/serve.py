"""aiops serve"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default AIOPS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default AIOPS_PORT).")] = None,
    reload: Annotated[bool, typer.Option("--reload", help="Restart on code changes.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the web server (uvicorn). Refuses to start on a database behind its migrations, or
    with a secret key that does not open the secrets stored in it. Started as root, it starts
    the launcher (the one root process) and serves as AIOPS_SERVICE_USER (docs/security.md)."""
    import uvicorn

    from aiops.config import load_settings
    from aiops.entrypoints.cli._runtime import open_container
    from aiops.entrypoints.privileges import instance_is_the_services, separate
    from aiops.entrypoints.startup import check_secret_key

    settings = load_settings()
    if os.geteuid() == 0 and not instance_is_the_services(settings):
        # First start as root: check root's own files before handing them to the service.
        checked = open_container(separate=False)
        check_secret_key(checked)
        checked.shutdown_resources()
    separate(settings, create=True)
    container = open_container()  # stops here, with one line, on a database behind its migrations
    check_secret_key(container)  # and here on a wrong or missing secret key
    settings = container.settings()
    container.shutdown_resources()
    clear_metrics_files(os.environ)
    uvicorn.run(
        "aiops.entrypoints.http.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        workers=None if reload else workers,
        log_config=None,
    )


def clear_metrics_files(env: Mapping[str, str]) -> int:
    """prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR set): the last run's
    workers' files go before new workers write theirs, so counts start from zero with the
    server. Returns how many were removed."""
    folder = env.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return 0
    stale = list(Path(folder).glob("*.db"))
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
