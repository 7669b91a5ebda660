"""ThreadedJobWorker: a job's work in a daemon thread while the runner's thread beats for it
(renews its lease) and, once told to stop, waits out the grace period on a monotonic clock.
The wall clock of the Clock port may jump; a deadline must not."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from aiops.ports.job_worker import StopSignal

T = TypeVar("T")

LONGEST_WAIT = 0.5  # seconds: how late a stop is noticed at most


class _Work(Generic[T]):
    """One call of `work` in a thread: its result, or the exception it raised."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self.done = threading.Event()
        self.result: list[T] = []
        self.error: BaseException | None = None

    def __call__(self) -> None:
        try:
            self.result.append(self._work())
        except BaseException as error:  # handed to the runner's thread, which raises it
            self.error = error
        finally:
            self.done.set()


class ThreadedJobWorker:
    def run(
        self,
        work: Callable[[], T],
        *,
        beat: Callable[[], object],
        every: float,
        stop: StopSignal,
        grace: float,
    ) -> T | None:
        job = _Work(work)
        threading.Thread(target=job, name="job-worker", daemon=True).start()
        deadline: float | None = None
        next_beat = time.monotonic() + every
        while not job.done.is_set():
            if stop.is_set() and deadline is None:
                deadline = time.monotonic() + grace
            wake = next_beat if deadline is None else min(next_beat, deadline)
            if job.done.wait(max(0.0, min(wake - time.monotonic(), LONGEST_WAIT))):
                break
            if deadline is not None and time.monotonic() >= deadline:
                return None  # left to itself: a daemon thread, its lease released
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + every
                beat()
        if job.error is not None:
            raise job.error
        return job.result[0]
