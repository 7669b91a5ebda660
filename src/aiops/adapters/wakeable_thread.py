"""WakeableThread: a daemon thread that drains work (`run()` returns how much it did) every
`poll` seconds, and at once when woken (calling the object). The waker often calls it inside
the transaction that makes the work (before the commit), so a woken round that finds nothing
looks again a few times, `after_wake_pause` apart, instead of going back to sleep. Without a
started thread a wake-up changes nothing (a job does the work instead).

The notifications' delivery thread and the issue-to-PR loop's thread are two of these.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog


class WakeableThread:
    def __init__(
        self,
        *,
        name: str,  # the thread's name, and its log events' prefix (`<name>.started`)
        logger: str,
        after_wake_tries: int,
        after_wake_pause: float,  # seconds
        max_rounds: int | None = None,  # runs in one go at most; None: until nothing is done
    ) -> None:
        self._name = name
        self._log = structlog.get_logger(logger)
        self._after_wake_tries = after_wake_tries
        self._after_wake_pause = after_wake_pause
        self._max_rounds = max_rounds
        self._woken = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self) -> None:
        self._woken.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, run: Callable[[], int], poll: float) -> None:
        self._stop.clear()
        thread_name = "aiops-" + self._name.replace("_", "-")
        self._thread = threading.Thread(
            target=self._serve, args=(run, poll), name=thread_name, daemon=True
        )
        self._thread.start()
        self._log.info(f"{self._name}.started", poll=poll)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _serve(self, run: Callable[[], int], poll: float) -> None:
        woken = False  # a first round at start (once): what was made while no server ran
        while not self._stop.is_set():
            self._round(run, tries=self._after_wake_tries if woken else 1)
            woken = self._woken.wait(poll)
            self._woken.clear()

    def _round(self, run: Callable[[], int], tries: int) -> None:
        """Run until nothing is done; when nothing was, look again `tries - 1` times."""
        left, rounds = tries, 0
        while left > 0 and not self._stop.is_set():
            if self._max_rounds is not None and rounds >= self._max_rounds:
                return
            rounds += 1
            try:
                done = run()
            except Exception as error:  # the thread must outlive a database hiccup; logged
                failure = f"{type(error).__name__}: {error}"[:300]
                self._log.warning(f"{self._name}.round_failed", error=failure)
                return
            if done:
                continue  # drain: what was done is done, failed or rescheduled, so this ends
            left -= 1
            if left:
                self._stop.wait(self._after_wake_pause)
