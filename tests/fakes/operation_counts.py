"""Fakes of ports/operation_counts.py: the figures /metrics reads, and the trackers' headroom."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from aiops.ports.operation_counts import OperationsSnapshot


class FakeRateLimitHeadroom:
    def __init__(self) -> None:
        self.recorded: dict[int, int] = {}

    def record(self, connection_id: int, remaining: int) -> None:
        self.recorded[connection_id] = remaining

    def remaining(self) -> Mapping[int, int]:
        return dict(self.recorded)


class FakeOperationCounts:
    """Answers the snapshot the test set; remembers when it was asked."""

    def __init__(self, snapshot: OperationsSnapshot | None = None) -> None:
        self.current = snapshot or OperationsSnapshot()
        self.asked_at: list[datetime] = []

    def snapshot(self, now: datetime) -> OperationsSnapshot:
        self.asked_at.append(now)
        return self.current
