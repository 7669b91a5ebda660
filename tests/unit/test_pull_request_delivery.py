"""The delivery side of the issue-to-PR loop (issue 19) that needs no tracker: which webhook
events sync what, a queued webhook sync doing the union of what its deliveries asked for, the
loop thread (woken, polling, outliving a failure), and the pr-loop and sync-issues jobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from aiops.adapters.loop_thread import ThreadLoopRunner
from aiops.domain.errors import ValidationError
from aiops.domain.model.jobs import Job, JobKind, Schedule
from aiops.domain.usecases.job_handlers import PullRequestLoopJob, SyncIssuesJob, default_handlers
from aiops.entrypoints.http.webhook_syncs import WebhookSyncs, wanted


@pytest.mark.parametrize(
    ("provider", "event", "expected"),
    [
        ("github", "pull_request", (False, True)),
        ("github", "pull_request_review", (False, True)),
        ("github", "pull_request_review_comment", (False, True)),
        ("github", "check_suite", (False, True)),
        ("github", "check_run", (False, True)),
        ("github", "issues", (True, False)),
        ("github", "issue_comment", (True, True)),  # on an issue or on a pull request
        ("github", None, (True, True)),
        ("gitlab", "Merge Request Hook", (False, True)),
        ("gitlab", "Pipeline Hook", (False, True)),
        ("gitlab", "Note Hook", (True, True)),
        ("gitlab", "Issue Hook", (True, False)),
        ("jira", "jira:issue_updated", (True, False)),
        ("jira", None, (True, False)),
    ],
)
def test_a_delivery_s_event_says_whether_issues_pull_requests_or_both_are_synced(
    provider: str, event: str | None, expected: tuple[bool, bool]
) -> None:
    assert wanted(provider, event) == expected


def settle(syncs: WebhookSyncs) -> None:
    deadline = time.monotonic() + 5
    while not syncs.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert syncs.idle()
    syncs.shutdown()


def test_a_queued_sync_does_what_each_of_its_deliveries_asked_for_and_a_failure_stops_neither() -> (
    None
):
    started, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def issues(connection_id: int) -> None:
        seen.append(f"issues {connection_id}")
        started.set()
        release.wait(5)
        raise RuntimeError("tracker exploded")  # the pull requests' sync still runs

    def pulls(connection_id: int) -> None:
        seen.append(f"pulls {connection_id}")

    syncs = WebhookSyncs(lambda: issues, workers=1, pulls=lambda: pulls)
    syncs.request(3, issues=True, pulls=False)
    assert started.wait(5)
    syncs.request(3, issues=False, pulls=True)  # queued behind the running one
    syncs.request(3, issues=False, pulls=False)  # shares it, adds nothing
    syncs.request(4, issues=False, pulls=True)
    release.set()
    settle(syncs)

    assert seen == ["issues 3", "pulls 3", "pulls 4"]


def test_without_a_pull_request_sync_only_issues_are_synced() -> None:
    seen: list[int] = []
    syncs = WebhookSyncs(lambda: seen.append, workers=1)
    syncs.request(9, issues=False, pulls=True)
    syncs.request(8)
    settle(syncs)

    assert seen == [8]


def wait_for(check: Callable[[], bool], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_loop_thread_runs_at_start_drains_when_woken_and_outlives_a_failure() -> None:
    due = [0]
    calls: list[str] = []

    def run() -> int:
        if due[0] < 0:
            due[0] = 0
            calls.append("failed")
            raise RuntimeError("database locked")
        ran = min(due[0], 2)
        due[0] -= ran
        calls.append(f"ran {ran}")
        return ran

    runner = ThreadLoopRunner()
    runner.start(run, poll=60)  # the poll never comes: only wake-ups run it
    try:
        wait_for(lambda: calls == ["ran 0"])
        assert runner.running
        due[0] = 5
        runner()
        wait_for(lambda: due[0] == 0 and len(calls) >= 5)
        assert calls[1:4] == ["ran 2", "ran 2", "ran 1"]
        due[0] = -1  # the next round fails, and the thread goes on
        runner()
        wait_for(lambda: "failed" in calls)
        due[0] = 1
        runner()
        wait_for(lambda: due[0] == 0)
    finally:
        runner.stop()
    assert not runner.running


def test_the_loop_thread_polls_without_being_woken() -> None:
    count = [0]

    def run() -> int:
        count[0] += 1
        return 0

    runner = ThreadLoopRunner()
    runner.start(run, poll=0.05)
    try:
        wait_for(lambda: count[0] >= 3)
    finally:
        runner.stop()


def job(kind: JobKind, params: dict[str, Any]) -> Job:
    every = Schedule.parse(every="5m", cron=None)
    now = datetime(2026, 12, 3, tzinfo=UTC)
    return Job(name="j", kind=kind.value, params=params, schedule=every, next_run=now)


def test_the_pr_loop_job_runs_due_steps_until_none_is() -> None:
    batches = [20, 3, 0, 7]
    handler = PullRequestLoopJob(lambda: lambda: batches.pop(0))

    assert handler.check({}) == {}
    with pytest.raises(ValidationError, match="takes no 'limit'"):
        handler.check({"limit": 5})
    assert handler(job(JobKind.PR_LOOP, {})) == "ran 23 loop step(s)"
    assert batches == [7]


def test_a_sync_issues_job_also_refreshes_the_connection_s_pull_requests() -> None:
    run = SimpleNamespace(created=1, updated=2, removed=0, error=None)
    refreshed: list[int] = []

    def pulls(connection_id: int) -> int:
        refreshed.append(connection_id)
        return 4

    handler = SyncIssuesJob(lambda: lambda cmd: [run], lambda: pulls)  # type: ignore[arg-type,return-value]

    said = handler(job(JobKind.SYNC_ISSUES, {"connection_id": 3}))

    assert said == "created 1, updated 2, removed 0, pull requests refreshed 4"
    assert refreshed == [3]


def test_the_pr_loop_kind_is_known_when_the_container_gives_its_runner() -> None:
    def unused() -> Any:
        raise AssertionError

    plain = default_handlers(sync=unused, resync=unused, fetch=unused, playbook=None)
    wired = default_handlers(sync=unused, resync=unused, fetch=unused, playbook=None, loop=unused)

    assert JobKind.PR_LOOP.value not in plain
    assert isinstance(wired[JobKind.PR_LOOP.value], PullRequestLoopJob)


def test_a_batch_of_agent_events_wakes_the_loop_only_when_a_session_finished() -> None:
    from aiops.domain.model.sessions import AgentStatus
    from aiops.entrypoints.http.agent_events import woken

    wakes: list[int] = []
    answers: list[list[Any]] = [[AgentStatus.WORKING], [AgentStatus.WAITING, AgentStatus.FINISHED]]
    container = SimpleNamespace(
        record_agent_events=lambda: lambda cmds: answers.pop(0),
        gateways=SimpleNamespace(loop_wakeup=lambda: lambda: wakes.append(1)),
    )
    record = woken(container)  # type: ignore[arg-type]

    assert record([]) == [AgentStatus.WORKING]
    assert wakes == []
    assert record([]) == [AgentStatus.WAITING, AgentStatus.FINISHED]
    assert wakes == [1]
