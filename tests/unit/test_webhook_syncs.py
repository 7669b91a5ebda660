"""The background syncs behind webhooks: deliveries for a queued sync share it, one that
arrives while its sync runs queues another, and a connection is never synced twice at once."""

from __future__ import annotations

import threading
import time

from aiops.entrypoints.http.webhook_syncs import WebhookSyncs


def settle(syncs: WebhookSyncs) -> None:
    deadline = time.monotonic() + 5
    while not syncs.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert syncs.idle()
    syncs.shutdown()


def test_deliveries_for_a_queued_sync_share_it_and_one_during_a_run_queues_another() -> None:
    started = threading.Event()
    release = threading.Event()
    seen: list[int] = []
    running = 0
    overlapped = False
    lock = threading.Lock()

    def sync(connection_id: int) -> None:
        nonlocal running, overlapped
        with lock:
            running += 1
            overlapped = overlapped or running > 1
        seen.append(connection_id)
        started.set()
        release.wait(5)
        with lock:
            running -= 1

    syncs = WebhookSyncs(lambda: sync, workers=2)
    syncs.request(7)
    assert started.wait(5)  # 7 is running
    syncs.request(7)  # queued behind the running one
    syncs.request(7)  # shares the queued one
    syncs.request(7)
    release.set()
    settle(syncs)

    assert seen == [7, 7]
    assert not overlapped


def test_a_failing_sync_does_not_stop_the_next_one() -> None:
    done: list[int] = []

    def sync(connection_id: int) -> None:
        if connection_id == 1:
            raise RuntimeError("tracker exploded")
        done.append(connection_id)

    syncs = WebhookSyncs(lambda: sync, workers=1)
    syncs.request(1)
    syncs.request(2)
    settle(syncs)

    assert done == [2]
