"""The rate-limit headroom a listing ends with, as the tracker's headers said it (/metrics
shows it as aiops_tracker_rate_limit_remaining)."""

from __future__ import annotations

from aiops.adapters.trackers import GitHubTracker, GitLabTracker
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import FakeGitHub
from tests.integration.trackers.fake_gitlab import FakeGitLab


def test_a_github_listing_reports_the_last_page_s_x_ratelimit_remaining(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    for _ in range(150):  # two pages
        github.add_issue("acme/web")
    github.rate_limit = 1000

    changes = tracker.changed_since(target, None, None)

    assert changes.requests == 2
    assert changes.rate_limit_remaining == github.rate_limit == 998


def test_a_github_304_still_reports_the_headroom(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    first = tracker.changed_since(target, None, None)
    github.rate_limit = 40

    again = tracker.changed_since(target, None, first.etag)

    assert again.not_modified
    assert again.rate_limit_remaining is not None
    assert again.rate_limit_remaining <= 40


def test_a_gitlab_listing_reports_ratelimit_remaining(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.add_issue("acme/platform/web")
    gitlab.rate_limit = 500

    changes = gitlab_tracker.changed_since(gitlab_target, None, None)

    assert changes.rate_limit_remaining == gitlab.rate_limit
    assert 0 < changes.rate_limit_remaining < 500
