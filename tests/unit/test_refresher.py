"""The dashboard's background refresher: each (user, project) at most once at a time, and a
cached page looks for stale snapshots at most once a second per user."""

from __future__ import annotations

import threading
import time

from aiops.domain.model.access import Actor
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.entrypoints.http.refresher import SnapshotRefresher

IVO = Actor("ivo@example.com", user_id=1)


def settle(refresher: SnapshotRefresher) -> None:
    deadline = time.monotonic() + 5
    while not refresher.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert refresher.idle()
    refresher.shutdown()


VERA = Actor("vera@example.com", user_id=2)


def test_each_workspace_is_refreshed_once_while_its_refresh_is_pending() -> None:
    release = threading.Event()
    seen: list[tuple[str, int]] = []

    def refresh(ref: WorkspaceRef) -> None:
        seen.append((ref.actor.name, ref.project_id))
        release.wait(5)

    refresher = SnapshotRefresher(lambda: refresh, workers=1)
    refresher.request(IVO, [7, 8])
    refresher.request(IVO, [7, 8])  # both still pending: nothing new
    refresher.request(VERA, [7])
    release.set()
    settle(refresher)

    assert sorted(seen) == [("ivo@example.com", 7), ("ivo@example.com", 8), ("vera@example.com", 7)]


def test_a_failing_refresh_does_not_stop_the_next_one() -> None:
    done: list[int] = []

    def refresh(ref: WorkspaceRef) -> None:
        if ref.project_id == 1:
            raise RuntimeError("git exploded")
        done.append(ref.project_id)

    refresher = SnapshotRefresher(lambda: refresh, workers=1)
    refresher.request(IVO, [1, 2])
    settle(refresher)

    assert done == [2]


def test_cached_pages_look_for_stale_snapshots_at_most_once_a_second_per_user() -> None:
    refresher = SnapshotRefresher(lambda: lambda ref: None, check_every=60)

    assert refresher.due(IVO)
    assert not refresher.due(IVO)
    assert refresher.due(VERA)
    refresher.shutdown()
