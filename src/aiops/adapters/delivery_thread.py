"""ThreadDeliveryWakeup: the web server's delivery thread (AIOPS_NOTIFY_IN_PROCESS), woken by
the NoticeSink so that a queued delivery starts within about a second, and polling every
AIOPS_NOTIFY_POLL seconds for retries and for what other processes queued.

The sink wakes it inside the transaction that queues (before the commit): a woken round that
finds nothing due looks again a few times over the next second instead of going back to sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from aiops.adapters.wakeable_thread import WakeableThread

AFTER_WAKE_TRIES = 20
AFTER_WAKE_PAUSE = 0.05  # seconds: 20 tries cover a second after the wake-up


class Report(Protocol):
    @property
    def claimed(self) -> int: ...


class ThreadDeliveryWakeup(WakeableThread):
    """The DeliveryWakeup port; `start` runs `deliver` in a daemon thread until `stop`.
    Without a started thread, a wake-up changes nothing (the `notify` job delivers)."""

    def __init__(self) -> None:
        super().__init__(
            name="notify",
            logger="aiops.notifications",
            after_wake_tries=AFTER_WAKE_TRIES,
            after_wake_pause=AFTER_WAKE_PAUSE,
        )

    def start(self, deliver: Callable[[], Report], poll: float) -> None:  # type: ignore[override]
        """`deliver` (a delivery round) returns its report; a round counts what it claimed."""
        super().start(lambda: deliver().claimed, poll)
