"""Running one job's work beside the runner, which renews the job's lease while it runs and
gives it up when told to stop. How (a worker thread, a monotonic deadline) is the adapter's
business; the domain decides what the work is and what its outcome means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class StopSignal(Protocol):
    """Set when the runner is told to stop (a signal, the web server's shutdown)."""

    def is_set(self) -> bool: ...


class JobWorker(Protocol):
    def run(
        self,
        work: Callable[[], T],
        *,
        beat: Callable[[], object],
        every: float,
        stop: StopSignal,
        grace: float,
    ) -> T | None:
        """`work()`'s result, calling `beat()` every `every` seconds while it runs. Once
        `stop` is set the work gets `grace` seconds more; still running then, it is left to
        itself and the answer is None."""
        ...
