"""The trackers' rate-limit headroom in this process's memory (each process keeps its own)."""

from __future__ import annotations

import threading
from collections.abc import Mapping


class InMemoryRateLimitHeadroom:
    """connection id -> the requests its tracker said were left, as the last sync saw it."""

    def __init__(self) -> None:
        self._remaining: dict[int, int] = {}
        self._lock = threading.Lock()

    def record(self, connection_id: int, remaining: int) -> None:
        with self._lock:
            self._remaining[connection_id] = max(0, remaining)

    def remaining(self) -> Mapping[int, int]:
        with self._lock:
            return dict(self._remaining)
