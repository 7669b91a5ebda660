"""Background syncs for verified webhook deliveries: the route answers 202 at once.

Deliveries for a connection whose sync is still queued add nothing (that sync will see their
changes); one arriving while its sync runs queues one more. A connection is never synced by
two workers at once.

A sync refreshes the connection's issues, its pull requests (issue 19), or both: the
delivery's event says which (`pull_only`/`issue_only` below); a queued sync does the union of
what its deliveries asked for. The pull requests' sync then runs the loop's due steps (a
review sent back to the agent), so that the prompt reaches its pane within the second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiops.log import get_logger

log = get_logger(__name__)
SyncConnection = Callable[[int], object]

# Events about pull (merge) requests only: they change no issue, so no issue sync runs.
PULL_EVENTS = frozenset(
    {
        "github:pull_request",
        "github:pull_request_review",
        "github:pull_request_review_comment",
        "github:pull_request_review_thread",
        "github:check_suite",
        "github:check_run",
        "github:status",
        "github:workflow_run",
        "gitlab:merge request hook",
        "gitlab:pipeline hook",
        "gitlab:job hook",
    }
)
# Events about issues only (Jira has no pull requests; GitHub's `issues`, GitLab's issue hook).
ISSUE_EVENTS = frozenset({"github:issues", "github:label", "gitlab:issue hook"})


def wanted(provider: str, event: str | None) -> tuple[bool, bool]:
    """(issues, pulls): what a delivery of `event` (its X-GitHub-Event / X-Gitlab-Event
    header; None when absent) asks to sync. What is not known syncs both."""
    if provider == "jira":
        return True, False
    key = f"{provider}:{(event or '').strip().lower()}"
    if key in PULL_EVENTS:
        return False, True
    if key in ISSUE_EVENTS:
        return True, False
    return True, True


class WebhookSyncs:
    def __init__(
        self,
        sync: Callable[[], SyncConnection],
        workers: int = 2,
        pulls: Callable[[], SyncConnection] | None = None,
    ) -> None:
        self._sync = sync
        self._pulls = pulls
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._queued: dict[int, tuple[bool, bool]] = {}
        self._running: dict[int, threading.Lock] = {}
        self._busy = 0
        self._lock = threading.Lock()

    def request(self, connection_id: int, *, issues: bool = True, pulls: bool = True) -> None:
        with self._lock:
            queued = self._queued.get(connection_id)
            if queued is not None:  # that sync will also do what this delivery asks
                self._queued[connection_id] = (queued[0] or issues, queued[1] or pulls)
                return
            self._queued[connection_id] = (issues, pulls)
            self._busy += 1
        self._pool.submit(self._run, connection_id)

    def _run(self, connection_id: int) -> None:
        with self._lock:
            running = self._running.setdefault(connection_id, threading.Lock())
        try:
            with running:  # still queued while the connection's previous sync runs
                with self._lock:
                    issues, pulls = self._queued.pop(connection_id, (True, True))
                if issues:
                    self._guarded("webhook.sync_failed", self._sync, connection_id)
                if pulls and self._pulls is not None:
                    self._guarded("webhook.pull_sync_failed", self._pulls, connection_id)
        finally:
            with self._lock:
                self._busy -= 1

    @staticmethod
    def _guarded(event: str, sync: Callable[[], SyncConnection], connection_id: int) -> None:
        try:
            sync()(connection_id)
        except Exception:  # a sync must never kill its worker; the next delivery retries
            log.exception(event, connection=connection_id)

    def idle(self) -> bool:
        with self._lock:
            return self._busy == 0

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
