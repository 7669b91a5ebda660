"""changed_since against the fake GitHub over real HTTP: pages, filters, ETags, mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiops.adapters.trackers import GitHubTracker
from aiops.domain.model.trackers import IssueState
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import EPOCH, FakeGitHub


def test_a_first_sync_follows_every_page_and_leaves_pull_requests_out(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    for n in range(270):
        github.add_issue("acme/web", pull_request=n % 27 == 0)

    changes = tracker.changed_since(target, None, None)

    assert len(changes.issues) == 260
    assert changes.requests == 3
    assert len(github.list_requests()) == 3
    assert changes.etag
    assert not changes.not_modified
    assert all(not i.url.endswith("/pull/" + i.number[1:]) for i in changes.issues)
    updated = [i.updated_at for i in changes.issues]
    assert updated == sorted(updated)


def test_the_first_request_asks_for_every_state_by_update_time_with_github_headers(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    tracker.changed_since(target, datetime(2026, 1, 1, 1, 2, 3, tzinfo=UTC), None)

    (first,) = github.requests
    assert first.path == "/repos/acme/web/issues"
    assert first.query == {
        "state": "all",
        "since": "2026-01-01T01:02:03Z",
        "per_page": "100",
        "sort": "updated",
        "direction": "asc",
    }
    assert first.headers["accept"] == "application/vnd.github+json"
    assert first.headers["x-github-api-version"] == "2022-11-28"
    assert "if-none-match" not in first.headers


def test_since_lists_only_the_issues_updated_at_or_after_it(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    for _ in range(30):
        github.add_issue("acme/web")

    changes = tracker.changed_since(target, EPOCH + timedelta(minutes=21), None)

    assert [i.number for i in changes.issues] == [f"#{n}" for n in range(21, 31)]

    everything = tracker.changed_since(target, None, None)

    assert len(everything.issues) == 30
    assert "since" not in github.requests[-1].query


def test_a_resync_with_the_etag_costs_one_request_answered_304(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    for _ in range(150):
        github.add_issue("acme/web")
    first = tracker.changed_since(target, None, None)
    before = len(github.requests)

    again = tracker.changed_since(target, None, first.etag)

    assert again.not_modified
    assert again.issues == ()
    assert again.etag == first.etag
    assert again.requests == 1
    assert len(github.requests) == before + 1
    assert github.requests[-1].headers["if-none-match"] == first.etag


def test_an_etag_that_no_longer_matches_lists_the_changes(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    first = tracker.changed_since(target, None, None)
    github.add_issue("acme/web")

    again = tracker.changed_since(target, None, first.etag)

    assert not again.not_modified
    assert [i.number for i in again.issues] == ["#1", "#2"]
    assert again.etag != first.etag


def test_an_issue_is_mapped_with_its_labels_assignees_and_utc_times(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    for _ in range(15):
        github.add_issue("acme/web")

    issues = {i.number: i for i in tracker.changed_since(target, None, None).issues}

    third = issues["#3"]
    assert third.external_id == str(github.repos["acme/web"][2]["id"])
    assert third.title == "Issue 3"
    assert third.body == "Body of 3"
    assert third.state is IssueState.OPEN
    assert third.labels == ("bug",)
    assert third.assignees == ("alice",)
    assert third.url == "https://github.example/acme/web/issues/3"
    assert third.created_at == EPOCH
    assert third.updated_at == EPOCH + timedelta(minutes=3)
    assert third.updated_at.tzinfo is UTC
    assert issues["#7"].body == ""
    assert issues["#10"].state is IssueState.CLOSED
