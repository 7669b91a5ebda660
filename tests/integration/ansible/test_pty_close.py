"""ansible-runner's pty close: a child already reaped is closed without ptyprocess's idle
0.1 s; a live child is still closed (and killed) as ptyprocess does it."""

from __future__ import annotations

import time

import ptyprocess  # type: ignore[import-untyped]

from aiops.adapters.ansible import pty_close


def finished_child() -> ptyprocess.PtyProcess:
    child = ptyprocess.PtyProcess.spawn(["true"])
    deadline = time.monotonic() + 10
    while child.isalive():  # as ansible-runner's loop does: it reaps the child
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return child


def test_a_reaped_child_closes_at_once_and_keeps_its_exit_status() -> None:
    pty_close.install()
    child = finished_child()

    started = time.perf_counter()
    child.close()
    elapsed = time.perf_counter() - started

    assert elapsed < 0.05  # ptyprocess alone sleeps 0.1 s here
    assert child.closed
    assert child.exitstatus == 0


def test_a_live_child_is_still_given_its_grace_and_then_killed() -> None:
    pty_close.install()
    child = ptyprocess.PtyProcess.spawn(["sleep", "30"])

    started = time.perf_counter()
    child.close(force=True)
    elapsed = time.perf_counter() - started

    assert elapsed >= 0.1  # the kernel gets its time, as before
    assert child.closed
    assert not child.isalive()
    assert child.signalstatus is not None


def test_installing_twice_wraps_close_once() -> None:
    pty_close.install()
    wrapped = ptyprocess.PtyProcess.close
    pty_close.install()
    assert ptyprocess.PtyProcess.close is wrapped
    child = finished_child()
    started = time.perf_counter()
    child.close()
    assert time.perf_counter() - started < 0.05
