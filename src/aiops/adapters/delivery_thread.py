"""ThreadDeliveryWakeup: the web server's delivery thread (AIOPS_NOTIFY_IN_PROCESS), woken by
the NoticeSink so that a queued delivery starts within about a second, and polling every
AIOPS_NOTIFY_POLL seconds for retries and for what other processes queued.

The sink wakes it inside the transaction that queues (before the commit): a woken round that
finds nothing due looks again a few times over the next second instead of going back to sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import structlog

log = structlog.get_logger("aiops.notifications")

AFTER_WAKE_TRIES = 20
AFTER_WAKE_PAUSE = 0.05  # seconds: 20 tries cover a second after the wake-up


class Report(Protocol):
    @property
    def claimed(self) -> int: ...


class ThreadDeliveryWakeup:
    """The DeliveryWakeup port; `start` runs `deliver` in a daemon thread until `stop`.
    Without a started thread, a wake-up changes nothing (the `notify` job delivers)."""

    def __init__(self) -> None:
        self._woken = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self) -> None:
        self._woken.set()

    def start(self, deliver: Callable[[], Report], poll: float) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(deliver, poll), name="aiops-notify", daemon=True
        )
        self._thread.start()
        log.info("notify.started", poll=poll)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _serve(self, deliver: Callable[[], Report], poll: float) -> None:
        woken = False  # a first round at start (once): what was queued while no server ran
        while not self._stop.is_set():
            self._round(deliver, tries=AFTER_WAKE_TRIES if woken else 1)
            woken = self._woken.wait(poll)
            self._woken.clear()

    def _round(self, deliver: Callable[[], Report], tries: int) -> None:
        """Deliver until nothing is due; when nothing is, look again `tries - 1` times."""
        left = tries
        while left > 0 and not self._stop.is_set():
            try:
                claimed = deliver().claimed
            except Exception as error:  # the thread must outlive a database hiccup; logged
                log.warning("notify.round_failed", error=f"{type(error).__name__}: {error}"[:300])
                return
            if claimed:
                continue  # drain: what was claimed is sent or rescheduled, so this ends
            left -= 1
            if left:
                self._stop.wait(AFTER_WAKE_PAUSE)
