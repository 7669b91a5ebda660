"""One fake GitHub, GitLab and Jira server per session; each test gets fresh state and an
adapter for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aiops.adapters.trackers import GitHubTracker, GitLabTracker, JiraTracker, RetryPolicy
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers import fake_gitlab, fake_jira
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub, serve
from tests.integration.trackers.fake_gitlab import FakeGitLab
from tests.integration.trackers.fake_jira import FakeJira

FAST_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02, wait_jitter=0.01)


class _Current:
    fake = FakeGitHub()
    gitlab = FakeGitLab()
    jira = FakeJira()


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


@pytest.fixture(scope="session")
def gitlab_url() -> Iterator[str]:
    with fake_gitlab.serve(lambda: _Current.gitlab) as url:
        yield url


@pytest.fixture
def gitlab(gitlab_url: str) -> FakeGitLab:
    _Current.gitlab = FakeGitLab()
    _Current.gitlab.add_project("acme/platform/web")
    return _Current.gitlab


@pytest.fixture
def gitlab_target(gitlab_url: str) -> TrackerTarget:
    return TrackerTarget(base_url=gitlab_url, key="acme/platform/web", token=fake_gitlab.TOKEN)


@pytest.fixture
def gitlab_tracker() -> Iterator[GitLabTracker]:
    with GitLabTracker(allow_private_networks=True, timeout=2.0, retry=FAST_RETRY) as adapter:
        yield adapter


@pytest.fixture(scope="session")
def jira_url() -> Iterator[str]:
    with fake_jira.serve(lambda: _Current.jira) as url:
        yield url


@pytest.fixture
def jira(jira_url: str, request: pytest.FixtureRequest) -> FakeJira:
    """A fake Jira Cloud with project OPS; `indirect` parametrisation picks "server" instead."""
    _Current.jira = FakeJira(mode=getattr(request, "param", "cloud"))
    _Current.jira.add_project("OPS", "Operations")
    return _Current.jira


@pytest.fixture
def jira_target(jira: FakeJira, jira_url: str) -> TrackerTarget:
    return TrackerTarget(base_url=jira_url, key="OPS", token=jira.token)


@pytest.fixture
def jira_tracker() -> Iterator[JiraTracker]:
    with JiraTracker(allow_private_networks=True, timeout=2.0, retry=FAST_RETRY) as adapter:
        yield adapter
