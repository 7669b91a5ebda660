"""ThreadLoopRunner: `aiops serve`'s thread for the issue-to-PR loop (issue 19). It runs the
due loop steps (RunLoopSteps) every AIOPS_PR_LOOP_POLL_SECONDS, and at once when woken: after
an agent's `finished` was recorded, after a webhook's pull request sync. Calling the runner
wakes it; without a started thread a wake-up changes nothing (the `pr-loop` job runs them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("aiops.pull_requests")

AFTER_WAKE_TRIES = 3  # a woken round that ran nothing looks again twice (a commit in flight)
AFTER_WAKE_PAUSE = 0.1  # seconds
MAX_ROUNDS = 100  # runs in one go at most (each runs up to RunLoopSteps' limit of steps)


class ThreadLoopRunner:
    def __init__(self) -> None:
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
        self._thread = threading.Thread(
            target=self._serve, args=(run, poll), name="aiops-pr-loop", daemon=True
        )
        self._thread.start()
        log.info("pr_loop.started", poll=poll)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _serve(self, run: Callable[[], int], poll: float) -> None:
        woken = False
        while not self._stop.is_set():
            self._round(run, tries=AFTER_WAKE_TRIES if woken else 1)
            woken = self._woken.wait(poll)
            self._woken.clear()

    def _round(self, run: Callable[[], int], tries: int) -> None:
        """Run due steps until none is; when none was, look again `tries - 1` times."""
        left, rounds = tries, 0
        while left > 0 and rounds < MAX_ROUNDS and not self._stop.is_set():
            rounds += 1
            try:
                ran = run()
            except Exception as error:  # the thread must outlive a database hiccup; logged
                log.warning("pr_loop.round_failed", error=f"{type(error).__name__}: {error}"[:300])
                return
            if ran:
                continue  # drain: each step run is done, failed or rescheduled, so this ends
            left -= 1
            if left:
                self._stop.wait(AFTER_WAKE_PAUSE)
