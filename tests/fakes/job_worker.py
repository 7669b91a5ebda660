"""A fake of the job worker and its stop signal (ports/job_worker.py): the work runs inline,
in the test's thread. A test plays the heartbeat from inside a job with `worker.beat()`, and
a job that outlives the grace period with `outlives_grace`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aiops.ports.job_worker import StopSignal

T = TypeVar("T")


class FakeStop:
    def __init__(self) -> None:
        self.stopped = False

    def set(self) -> None:
        self.stopped = True

    def is_set(self) -> bool:
        return self.stopped


class FakeJobWorker:
    def __init__(self, *, outlives_grace: bool = False) -> None:
        self.outlives_grace = outlives_grace  # a job still running when stop is set is left
        self.ran = 0
        self._beats: list[Callable[[], object]] = []  # of the jobs running now, innermost last

    def run(
        self,
        work: Callable[[], T],
        *,
        beat: Callable[[], object],
        every: float,
        stop: StopSignal,
        grace: float,
    ) -> T | None:
        self.ran += 1
        self._beats.append(beat)
        try:
            result = work()
        finally:
            self._beats.pop()
        return None if self.outlives_grace and stop.is_set() else result

    def beat(self) -> None:
        """The heartbeat of the job running now, as the worker gives it every `every`."""
        self._beats[-1]()
