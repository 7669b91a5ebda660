"""Background refreshes of dashboard workspace snapshots: pages never wait on git.

A page asks for the snapshots it lacks or holds stale; two worker threads bring them up to
date, each (user, project) at most once at a time. The next page view shows the result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from aiops.domain.model.access import Actor
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.log import get_logger

log = get_logger(__name__)
Refresh = Callable[[WorkspaceRef], object]


class SnapshotRefresher:
    def __init__(
        self, refresh: Callable[[], Refresh], workers: int = 2, check_every: float = 1.0
    ) -> None:
        self._refresh = refresh
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="refresh")
        self._pending: set[tuple[int | None, int]] = set()
        self._lock = threading.Lock()
        self._check_every = check_every
        self._checked: dict[int | None, float] = {}

    def due(self, actor: Actor) -> bool:
        """Whether a page served from cache should look for stale snapshots: at most once
        every `check_every` seconds per user (a page may show a thousand workspaces)."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked.get(actor.user_id, -self._check_every) < self._check_every:
                return False
            self._checked[actor.user_id] = now
            return True

    def request(self, actor: Actor, project_ids: Iterable[int]) -> None:
        for project_id in project_ids:
            key = (actor.user_id, project_id)
            with self._lock:
                if key in self._pending:
                    continue
                self._pending.add(key)
            self._pool.submit(self._run, key, WorkspaceRef(project_id=project_id, actor=actor))

    def _run(self, key: tuple[int | None, int], ref: WorkspaceRef) -> None:
        try:
            self._refresh()(ref)
        except Exception:  # a refresh must never kill its worker; the next view retries
            log.exception("workspace.refresh_failed", project=ref.project_id)
        finally:
            with self._lock:
                self._pending.discard(key)

    def idle(self) -> bool:
        with self._lock:
            return not self._pending

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
