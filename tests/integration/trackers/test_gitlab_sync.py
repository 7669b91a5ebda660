"""GitLabTracker.changed_since against the fake GitLab over real HTTP: keyset and offset pages,
updated_after, the project path as one segment, the mapping of each issue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aiops.adapters.trackers import GitLabTracker
from aiops.adapters.trackers.gitlab import api_root
from aiops.domain.model.trackers import IssueState
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_gitlab import EPOCH, FakeGitLab


def numbers(count: int, start: int = 1) -> list[str]:
    return [f"#{n}" for n in range(start, start + count)]


def test_a_full_sync_of_250_issues_follows_the_keyset_links_in_three_requests(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    for _ in range(250):
        gitlab.add_issue("acme/platform/web")

    changes = gitlab_tracker.changed_since(gitlab_target, None, None)

    assert [i.number for i in changes.issues] == numbers(250)
    assert changes.requests == 3
    assert len(gitlab.list_requests()) == 3
    assert "cursor" in gitlab.list_requests()[-1].query
    assert "page" not in gitlab.list_requests()[-1].query
    assert (changes.etag, changes.not_modified) == (None, False)


def test_without_keyset_links_the_offset_pages_are_followed_by_x_next_page(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.keyset = False
    for _ in range(250):
        gitlab.add_issue("acme/platform/web")

    changes = gitlab_tracker.changed_since(gitlab_target, None, None)

    assert [i.number for i in changes.issues] == numbers(250)
    assert [r.query.get("page") for r in gitlab.list_requests()] == [None, "2", "3"]


def test_a_gitlab_that_refuses_keyset_pages_is_asked_for_offset_pages_from_then_on(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.keyset_refused = True
    for _ in range(150):
        gitlab.add_issue("acme/platform/web")

    first = gitlab_tracker.changed_since(gitlab_target, None, None)
    again = gitlab_tracker.changed_since(gitlab_target, None, None)

    assert [i.number for i in first.issues] == numbers(150)
    assert (first.requests, again.requests) == (3, 2)
    asked = [(r.query.get("pagination"), r.query.get("page")) for r in gitlab.list_requests()]
    assert asked == [("keyset", None), (None, None), (None, "2"), (None, None), (None, "2")]


def test_the_first_request_asks_for_keyset_pages_by_update_time_of_the_encoded_project(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab_tracker.changed_since(gitlab_target, datetime(2026, 1, 1, 1, 2, 3, tzinfo=UTC), None)

    (first,) = gitlab.requests
    assert gitlab.raw_paths == ["/api/v4/projects/acme%2Fplatform%2Fweb/issues"]
    assert first.query == {
        "per_page": "100",
        "order_by": "updated_at",
        "sort": "asc",
        "pagination": "keyset",
        "updated_after": "2026-01-01T01:02:03Z",
    }
    assert "if-none-match" not in first.headers
    assert "private-token" not in first.headers


def test_updated_after_lists_only_the_issues_updated_at_or_after_it(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    for _ in range(30):
        gitlab.add_issue("acme/platform/web")
    gitlab.add_issue("acme/platform/web", updated=EPOCH + timedelta(minutes=21, seconds=1))

    changes = gitlab_tracker.changed_since(gitlab_target, EPOCH + timedelta(minutes=21), None)

    assert [i.number for i in changes.issues] == ["#21", "#31", *numbers(9, start=22)]
    everything = gitlab_tracker.changed_since(gitlab_target, None, None)
    assert len(everything.issues) == 31
    assert "updated_after" not in gitlab.requests[-1].query


def test_a_numeric_project_id_and_a_base_url_ending_in_api_v4_reach_the_same_project(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.add_issue("acme/platform/web")
    project_id = str(gitlab.projects["acme/platform/web"].id)
    by_id = TrackerTarget(
        base_url=gitlab_target.base_url + "/api/v4/", key=project_id, token=gitlab_target.token
    )

    changes = gitlab_tracker.changed_since(by_id, None, None)

    assert [i.number for i in changes.issues] == ["#1"]
    assert gitlab.raw_paths == [f"/api/v4/projects/{project_id}/issues"]


@pytest.mark.parametrize(
    ("base_url", "root"),
    [
        ("https://gitlab.com", "https://gitlab.com/api/v4"),
        ("https://gitlab.com/", "https://gitlab.com/api/v4"),
        ("https://git.example.com/gitlab", "https://git.example.com/gitlab/api/v4"),
        ("https://git.example.com/gitlab/api/v4/", "https://git.example.com/gitlab/api/v4"),
    ],
)
def test_the_api_root_is_the_base_url_with_api_v4(base_url: str, root: str) -> None:
    assert api_root(base_url) == root


def test_an_issue_is_mapped_with_its_labels_assignees_and_utc_times(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    for _ in range(15):
        gitlab.add_issue("acme/platform/web")

    issues = {i.number: i for i in gitlab_tracker.changed_since(gitlab_target, None, None).issues}

    third = issues["#3"]
    assert third.external_id == str(gitlab.projects["acme/platform/web"].issues[2]["id"])
    assert third.title == "Issue 3"
    assert third.body == "Body of 3"
    assert third.state is IssueState.OPEN
    assert third.labels == ("bug",)
    assert third.assignees == ("alice",)
    assert third.url == "https://gitlab.example/acme/platform/web/-/issues/3"
    assert third.created_at == EPOCH
    assert third.updated_at == EPOCH + timedelta(minutes=3, milliseconds=3)
    assert third.updated_at.tzinfo is UTC
    assert issues["#7"].body == ""
    assert issues["#10"].state is IssueState.CLOSED


def test_an_etag_is_sent_back_only_when_gitlab_gave_one_and_a_304_lists_nothing(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.add_issue("acme/platform/web")
    gitlab.etag = 'W/"abc"'

    first = gitlab_tracker.changed_since(gitlab_target, None, None)
    again = gitlab_tracker.changed_since(gitlab_target, None, first.etag)

    assert (first.etag, [i.number for i in first.issues]) == ('W/"abc"', ["#1"])
    assert "if-none-match" not in gitlab.requests[0].headers
    assert gitlab.requests[-1].headers["if-none-match"] == 'W/"abc"'
    assert (again.not_modified, again.issues, again.etag, again.requests) == (
        True,
        (),
        'W/"abc"',
        1,
    )
