"""One fake GitHub server per session; each test gets fresh state and an adapter for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aiops.adapters.trackers import GitHubTracker, RetryPolicy
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub, serve

FAST_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02, wait_jitter=0.01)


class _Current:
    fake = FakeGitHub()


@pytest.fixture(scope="session")
def github_url() -> Iterator[str]:
    with serve(lambda: _Current.fake) as url:
        yield url


@pytest.fixture
def github(github_url: str) -> FakeGitHub:
    _Current.fake = FakeGitHub()
    _Current.fake.add_repo("acme/web")
    return _Current.fake


@pytest.fixture
def target(github_url: str) -> TrackerTarget:
    return TrackerTarget(base_url=github_url, key="acme/web", token=TOKEN)


@pytest.fixture
def tracker() -> Iterator[GitHubTracker]:
    with GitHubTracker(allow_private_networks=True, timeout=2.0, retry=FAST_RETRY) as adapter:
        yield adapter
