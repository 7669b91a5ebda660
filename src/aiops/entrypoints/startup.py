"""What the server (and the scheduler) check before they serve anything."""

from __future__ import annotations

from typing import TextIO

from aiops.adapters.errors import AdapterError
from aiops.adapters.secret_key import KEY_FILE
from aiops.adapters.sqlalchemy.migrations import ensure_current
from aiops.container import Container
from aiops.domain.errors import SecretKeyMismatch
from aiops.log import get_logger

log = get_logger(__name__)


def check_secret_key(container: Container) -> None:
    """SecretKeyMismatch unless the secret key opens the secrets in the database. Call it
    before anything asks the container for the key: a key generated because none was
    configured is then known to be new, and removed again when the database needs another."""
    settings = container.settings()
    key_file = settings.instance_path / KEY_FILE
    key_is_new = settings.secret_key is None and not key_file.exists()
    try:
        container.verify_secret_key()(key_is_new=key_is_new)
    except SecretKeyMismatch:
        if key_is_new:
            key_file.unlink(missing_ok=True)
        raise


def check_secret_key_when_ready(container: Container) -> None:
    """check_secret_key, when the database is reachable and its schema current. Otherwise the
    server still starts, /readyz answers 503 with the reason, and the next start checks."""
    try:
        ensure_current(container.engine())
    except AdapterError:
        return
    check_secret_key(container)


def reconcile_runs(container: Container, out: TextIO | None = None) -> int:
    """Mark failed the runs left "running" by an aiops process of this host that died (see
    domain/usecases/lost_runs.py); each is logged, and said on `out` when given. A failure (a
    database not ready) is logged: starting goes on. The number of runs marked."""
    try:
        lost = container.reconcile_runs()()
    except Exception as error:  # startup must not fail on this
        log.warning("automation.reconcile_failed", error=f"{type(error).__name__}: {error}")
        return 0
    for run in lost:
        log.warning("automation.lost", run=run.id, playbook=run.playbook, reason=run.reason)
        if out is not None:
            line = f"run {run.id} ({run.playbook}) marked failed: {run.reason}"
            print(line, file=out, flush=True)
    return len(lost)


def cancel_local_runs(container: Container) -> None:
    """At shutdown: the playbooks this process runs are cancelled and waited for (10 s at
    most), so none goes on without the process that records it; each is logged."""
    try:
        asked = container.cancel_local_runs()()
    except Exception as error:  # stopping must go on
        log.warning(
            "automation.cancel_at_shutdown_failed", error=f"{type(error).__name__}: {error}"
        )
        return
    for run_id in asked:
        log.warning("automation.cancelled_at_shutdown", run=run_id)
