"""ProcessLocks with real threads: a held key makes a waiter wait and a non-waiter refuse;
other keys are free."""

from __future__ import annotations

import threading

from aiops.adapters.process_locks import ProcessLocks


def test_a_waiter_waits_for_the_key_and_a_non_waiter_is_told_it_is_taken() -> None:
    locks = ProcessLocks()
    holding, release = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with locks.hold("ws") as taken:
            order.append(f"first {taken}")
            holding.set()
            release.wait(5)
            order.append("first done")

    def waiter() -> None:
        with locks.hold("ws") as taken:
            order.append(f"waiter {taken}")

    one = threading.Thread(target=first)
    one.start()
    assert holding.wait(5)
    two = threading.Thread(target=waiter)
    two.start()
    with locks.hold("ws", wait=False) as taken:
        assert taken is False
    with locks.hold("other", wait=False) as taken:
        assert taken is True
    two.join(0.2)
    assert two.is_alive()  # still waiting for "ws"
    release.set()
    one.join(5)
    two.join(5)

    assert order == ["first True", "first done", "waiter True"]
    with locks.hold("ws", wait=False) as taken:
        assert taken is True  # released by both


def test_a_block_that_raises_releases_the_key() -> None:
    locks = ProcessLocks()
    try:
        with locks.hold(("tool", "codex")):
            raise RuntimeError("install failed")
    except RuntimeError:
        pass

    with locks.hold(("tool", "codex"), wait=False) as taken:
        assert taken is True
