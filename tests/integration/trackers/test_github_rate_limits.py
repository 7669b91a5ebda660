"""Rate limits are obeyed per token, and requests in flight are capped per token."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from aiops.adapters.trackers import GitHubTracker
from aiops.domain.model.trackers import TrackerAuthFailed, TrackerRateLimited
from aiops.ports.issue_tracker import TrackerTarget
from tests.fakes import FakeClock
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_github import FakeGitHub


@pytest.fixture
def clock(github: FakeGitHub) -> FakeClock:
    clock = FakeClock()
    github.rate_reset = int(clock.now().timestamp()) + 600
    return clock


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[GitHubTracker]:
    with GitHubTracker(allow_private_networks=True, clock=clock, retry=FAST_RETRY) as tracker:
        yield tracker


def test_no_request_leaves_for_a_token_whose_budget_is_spent_before_the_reset(
    github: FakeGitHub, limited: GitHubTracker, target: TrackerTarget, clock: FakeClock
) -> None:
    for _ in range(250):
        github.add_issue("acme/web")
    github.rate_limit = 2  # the second page answers X-RateLimit-Remaining: 0

    with pytest.raises(
        TrackerRateLimited, match="requests resume at 2026-01-01 12:10:00 UTC"
    ) as caught:
        limited.changed_since(target, None, None)
    assert caught.value.resume_at == clock.now() + timedelta(minutes=10)
    assert len(github.requests) == 2

    clock.advance(minutes=9)
    with pytest.raises(TrackerRateLimited):
        limited.check(target)
    with pytest.raises(TrackerRateLimited):
        limited.changed_since(target, None, None)
    assert len(github.requests) == 2

    clock.advance(minutes=1)
    github.rate_limit = 5000
    assert len(limited.changed_since(target, None, None).issues) == 250
    assert len(github.requests) == 5


def test_a_403_rate_limit_answer_stops_requests_until_the_reset(
    github: FakeGitHub, limited: GitHubTracker, target: TrackerTarget, clock: FakeClock
) -> None:
    github.rate_limit = 0

    with pytest.raises(
        TrackerRateLimited, match=r"^127\.0\.0\.1: rate limit reached; requests resume at"
    ):
        limited.check(target)
    with pytest.raises(TrackerRateLimited):
        limited.check(target)

    assert len(github.requests) == 1


def test_a_429_with_retry_after_is_obeyed(
    github: FakeGitHub, limited: GitHubTracker, target: TrackerTarget, clock: FakeClock
) -> None:
    github.retry_after = 30

    with pytest.raises(TrackerRateLimited) as caught:
        limited.check(target)
    assert caught.value.resume_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=29)
    with pytest.raises(TrackerRateLimited):
        limited.check(target)
    assert len(github.requests) == 1

    clock.advance(seconds=1)
    github.retry_after = None
    assert limited.check(target) == "acme/web: 0 open issues"
    assert len(github.requests) == 2


def test_a_spent_budget_holds_back_only_its_own_token(
    github: FakeGitHub, limited: GitHubTracker, target: TrackerTarget
) -> None:
    github.rate_limit = 0
    with pytest.raises(TrackerRateLimited):
        limited.check(target)

    other = TrackerTarget(base_url=target.base_url, key="acme/web", token="ghp_other")
    with pytest.raises(TrackerAuthFailed):  # sent, and answered (the fake knows one token)
        limited.check(other)
    assert len(github.requests) == 2


def test_at_most_max_in_flight_requests_are_sent_at_once_per_token(
    github: FakeGitHub, target: TrackerTarget
) -> None:
    github.delay = 0.15
    with (
        GitHubTracker(allow_private_networks=True, max_in_flight=2, retry=FAST_RETRY) as tracker,
        ThreadPoolExecutor(max_workers=6) as pool,
    ):
        answers = list(pool.map(lambda _: tracker.check(target), range(6)))

    assert answers == ["acme/web: 0 open issues"] * 6
    assert github.max_in_flight == 2
