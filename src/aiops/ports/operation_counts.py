"""What /metrics reports of the stored state, read at scrape time in a few grouped queries.

Every figure but one is a count or a lag the database already holds (sessions, sync runs,
playbook runs, jobs, notification deliveries), so every web worker reports the same numbers.
The rate-limit headroom is the tracker's own answer as the last sync of each connection in
this process saw it (RateLimitHeadroom: kept in memory; the schema has no place for it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

import attrs

# Sync runs are counted over this window, not since the beginning: a count of every run ever
# recorded reads the whole (ever growing) table at each scrape; the window reads its index.
SYNC_WINDOW = timedelta(hours=1)


@attrs.frozen(kw_only=True)
class OperationsSnapshot:
    # (status, tool) -> sessions not exited, by their stored status
    sessions: Mapping[tuple[str, str], int] = attrs.field(factory=dict)
    # (provider, "ok" | "error") -> sync runs started in the last SYNC_WINDOW
    syncs: Mapping[tuple[str, str], int] = attrs.field(factory=dict)
    # connection id -> 1 when its last sync failed, else 0
    failing_connections: Mapping[int, int] = attrs.field(factory=dict)
    # connection id -> when its last sync started (connections never synced: absent)
    last_sync: Mapping[int, datetime] = attrs.field(factory=dict)
    # connection id -> requests left in the tracker's rate-limit window, as last seen
    rate_limit_remaining: Mapping[int, int] = attrs.field(factory=dict)
    # run status -> playbook runs
    playbook_runs: Mapping[str, int] = attrs.field(factory=dict)
    # job name -> seconds an enabled job is overdue (0: not due yet)
    job_lag_seconds: Mapping[str, float] = attrs.field(factory=dict)
    # delivery status (queued, sent, failed) -> notification deliveries
    notification_deliveries: Mapping[str, int] = attrs.field(factory=dict)


class OperationCounts(Protocol):
    def snapshot(self, now: datetime) -> OperationsSnapshot:
        """The counts as stored now (one read-only transaction)."""
        ...


class RateLimitHeadroom(Protocol):
    """Where a sync leaves the tracker's last X-RateLimit-Remaining / RateLimit-Remaining."""

    def record(self, connection_id: int, remaining: int) -> None: ...

    def remaining(self) -> Mapping[int, int]:
        """connection id -> requests left, as last recorded."""
        ...
