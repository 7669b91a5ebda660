"""The server's background pane refresh: rounds one at a time, a failure logged and survived,
off at 0, stopped with the server."""

from __future__ import annotations

import asyncio
import threading

from aiops.entrypoints.http.pane_refresh import PaneRefresh, Refresh
from tests.event_loops import run_coroutine


class Rounds:
    """A refresh that fails on its second round and notes how many ran at once."""

    def __init__(self) -> None:
        self.calls = 0
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self) -> tuple[int, int]:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
            calls = self.calls
        try:
            if calls == 2:
                raise RuntimeError("tmux is gone")
            threading.Event().wait(0.02)  # longer than the interval: rounds must not overlap
            return (1, 0)
        finally:
            with self._lock:
                self.running -= 1


def run_for(refresh: PaneRefresh, seconds: float) -> None:
    async def main() -> None:
        refresh.start()
        await asyncio.sleep(seconds)
        await refresh.stop()

    run_coroutine(main())


def test_rounds_follow_one_another_and_a_failure_does_not_end_them() -> None:
    rounds = Rounds()

    def make() -> Refresh:
        return rounds

    refresh = PaneRefresh(make, every_seconds=0.005)
    run_for(refresh, 0.3)
    calls = rounds.calls

    assert calls >= 4  # went on after the failing second round
    assert rounds.most == 1
    assert refresh.rounds in (calls, calls - 1)  # the last may be cut by stop()
    run_for(PaneRefresh(make, every_seconds=0), 0.05)
    assert rounds.calls == calls  # 0: no round at all
