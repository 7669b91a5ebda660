"""Jira Cloud's 429 with Retry-After is obeyed per token, on a fake clock; requests in flight
are capped per token."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from aiops.adapters.trackers import JiraTracker
from aiops.domain.model.trackers import TrackerAuthFailed, TrackerRateLimited
from aiops.ports.issue_tracker import TrackerTarget
from tests.fakes import FakeClock
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_jira import FakeJira


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[JiraTracker]:
    with JiraTracker(allow_private_networks=True, clock=clock, retry=FAST_RETRY) as tracker:
        yield tracker


def test_a_429_with_retry_after_holds_every_request_of_the_token_until_then(
    jira: FakeJira, limited: JiraTracker, jira_target: TrackerTarget, clock: FakeClock
) -> None:
    jira.add_issue("OPS")
    limited.check(jira_target)
    sent = len(jira.requests)
    jira.retry_after = 30

    with pytest.raises(
        TrackerRateLimited, match=r"^127\.0\.0\.1: rate limit reached; requests resume at"
    ) as caught:
        limited.changed_since(jira_target, None, None)
    assert caught.value.resume_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=29)
    with pytest.raises(TrackerRateLimited):
        limited.check(jira_target)
    with pytest.raises(TrackerRateLimited):
        limited.changed_since(jira_target, None, None)
    assert len(jira.requests) == sent + 1

    clock.advance(seconds=1)
    jira.retry_after = None
    assert [i.number for i in limited.changed_since(jira_target, None, None).issues] == ["OPS-1"]
    assert len(jira.requests) == sent + 2


def test_a_rate_limited_token_holds_back_only_itself(
    jira: FakeJira, limited: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.retry_after = 60
    with pytest.raises(TrackerRateLimited):
        limited.check(jira_target)

    other = TrackerTarget(base_url=jira_target.base_url, key="OPS", token="someone@else:key")
    jira.retry_after = None
    with pytest.raises(TrackerAuthFailed):  # sent, and answered (the fake knows one token)
        limited.check(other)
    assert len(jira.requests) == 2


def test_at_most_max_in_flight_requests_are_sent_at_once_per_token(
    jira: FakeJira, jira_target: TrackerTarget
) -> None:
    jira.delay = 0.15
    with (
        JiraTracker(allow_private_networks=True, max_in_flight=2, retry=FAST_RETRY) as tracker,
        ThreadPoolExecutor(max_workers=6) as pool,
    ):
        tracker.check(jira_target)
        answers = list(pool.map(lambda _: tracker.check(jira_target), range(6)))

    assert answers == ["OPS: Operations"] * 6
    assert jira.max_in_flight == 2
