"""GitLab's rate limits, read by the shared budgets: a 429's Retry-After and a spent
RateLimit-Remaining hold every request for the token until GitLab says it may come back, and
no more than four requests per token are in flight at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from aiops.adapters.trackers import GitLabTracker
from aiops.domain.model.trackers import TrackerRateLimited
from aiops.ports.issue_tracker import TrackerTarget
from tests.fakes import FakeClock
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_gitlab import FakeGitLab


@pytest.fixture
def clock(gitlab: FakeGitLab) -> FakeClock:
    clock = FakeClock()
    gitlab.rate_reset = int(clock.now().timestamp()) + 60
    return clock


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[GitLabTracker]:
    with GitLabTracker(allow_private_networks=True, clock=clock, retry=FAST_RETRY) as tracker:
        yield tracker


def test_a_429_with_retry_after_holds_every_request_until_then(
    gitlab: FakeGitLab, limited: GitLabTracker, gitlab_target: TrackerTarget, clock: FakeClock
) -> None:
    gitlab.add_issue("acme/platform/web")
    gitlab.retry_after = 30

    with pytest.raises(TrackerRateLimited, match="requests resume at 2026-01-01 12:00:30 UTC"):
        limited.changed_since(gitlab_target, None, None)
    clock.advance(seconds=29)
    with pytest.raises(TrackerRateLimited) as caught:
        limited.check(gitlab_target)
    assert caught.value.resume_at == clock.now() + timedelta(seconds=1)
    assert len(gitlab.requests) == 1

    clock.advance(seconds=1)
    gitlab.retry_after = None
    assert [i.number for i in limited.changed_since(gitlab_target, None, None).issues] == ["#1"]
    assert len(gitlab.requests) == 2


def test_no_request_leaves_once_ratelimit_remaining_is_zero_before_the_reset(
    gitlab: FakeGitLab, limited: GitLabTracker, gitlab_target: TrackerTarget, clock: FakeClock
) -> None:
    for _ in range(250):
        gitlab.add_issue("acme/platform/web")
    gitlab.rate_limit = 2  # the second page answers RateLimit-Remaining: 0

    with pytest.raises(TrackerRateLimited, match="requests resume at 2026-01-01 12:01:00 UTC"):
        limited.changed_since(gitlab_target, None, None)
    assert len(gitlab.requests) == 2
    clock.advance(seconds=59)
    with pytest.raises(TrackerRateLimited):
        limited.check(gitlab_target)
    assert len(gitlab.requests) == 2

    clock.advance(seconds=1)
    gitlab.rate_limit = 2000
    assert len(limited.changed_since(gitlab_target, None, None).issues) == 250
    assert len(gitlab.requests) == 5


def test_a_429_without_retry_after_holds_the_token_until_ratelimit_reset(
    gitlab: FakeGitLab, limited: GitLabTracker, gitlab_target: TrackerTarget, clock: FakeClock
) -> None:
    gitlab.rate_limit = 0

    with pytest.raises(TrackerRateLimited) as caught:
        limited.check(gitlab_target)
    with pytest.raises(TrackerRateLimited):
        limited.check(gitlab_target)

    assert caught.value.resume_at == clock.now() + timedelta(seconds=60)
    assert len(gitlab.requests) == 1


@pytest.mark.parametrize(("minutes", "side"), [(10, "ahead of"), (-10, "behind")])
def test_a_reset_on_a_skewed_tracker_clock_is_moved_to_ours_and_the_message_says_so(
    gitlab: FakeGitLab,
    limited: GitLabTracker,
    gitlab_target: TrackerTarget,
    clock: FakeClock,
    minutes: int,
    side: str,
) -> None:
    gitlab.clock = clock.now() + timedelta(minutes=minutes)
    gitlab.rate_reset = int(gitlab.clock.timestamp()) + 60  # a minute on the tracker's clock
    gitlab.rate_limit = 1

    limited.check(gitlab_target)  # answered, with RateLimit-Remaining: 0
    with pytest.raises(TrackerRateLimited) as caught:
        limited.check(gitlab_target)

    assert caught.value.resume_at == clock.now() + timedelta(seconds=60)
    assert str(caught.value) == (
        "127.0.0.1: rate limit reached; requests resume at 2026-01-01 12:01:00 UTC "
        f"(the tracker's clock is 600s {side} ours)"
    )
    assert len(gitlab.requests) == 1
    clock.advance(seconds=60)
    gitlab.rate_limit = 2000
    assert limited.check(gitlab_target) == "acme/platform/web: 0 open issues"


def test_at_most_four_requests_are_in_flight_at_once_per_token(
    gitlab: FakeGitLab, gitlab_target: TrackerTarget
) -> None:
    gitlab.delay = 0.15
    with (
        GitLabTracker(allow_private_networks=True, retry=FAST_RETRY) as tracker,
        ThreadPoolExecutor(max_workers=8) as pool,
    ):
        answers = list(pool.map(lambda _: tracker.check(gitlab_target), range(8)))

    assert answers == ["acme/platform/web: 0 open issues"] * 8
    assert gitlab.max_in_flight == 4
