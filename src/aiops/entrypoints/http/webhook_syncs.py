"""Background syncs for verified webhook deliveries: the route answers 202 at once.

Deliveries for a connection whose sync is still queued add nothing (that sync will see their
changes); one arriving while its sync runs queues one more. A connection is never synced by
two workers at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiops.log import get_logger

log = get_logger(__name__)
SyncConnection = Callable[[int], object]


class WebhookSyncs:
    def __init__(self, sync: Callable[[], SyncConnection], workers: int = 2) -> None:
        self._sync = sync
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._queued: set[int] = set()
        self._running: dict[int, threading.Lock] = {}
        self._busy = 0
        self._lock = threading.Lock()

    def request(self, connection_id: int) -> None:
        with self._lock:
            if connection_id in self._queued:
                return
            self._queued.add(connection_id)
            self._busy += 1
        self._pool.submit(self._run, connection_id)

    def _run(self, connection_id: int) -> None:
        with self._lock:
            running = self._running.setdefault(connection_id, threading.Lock())
        try:
            with running:  # still queued while the connection's previous sync runs
                with self._lock:
                    self._queued.discard(connection_id)
                self._sync()(connection_id)
        except Exception:  # a sync must never kill its worker; the next delivery retries
            log.exception("webhook.sync_failed", connection=connection_id)
        finally:
            with self._lock:
                self._busy -= 1

    def idle(self) -> bool:
        with self._lock:
            return self._busy == 0

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
