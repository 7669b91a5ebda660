"""issue_from_gitlab and malformed answers: a clear TrackerError, never a KeyError."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiops.adapters.trackers.gitlab import issue_from_gitlab, issues_of
from aiops.domain.model.trackers import IssueState, TrackerError

ITEM: dict[str, object] = {
    "id": 84,
    "iid": 7,
    "project_id": 3,
    "title": "Crash",
    "description": None,
    "state": "closed",
    "labels": ["p1", {"name": "bug", "color": "#d9534f"}],
    "assignees": [{"id": 2, "username": "bob", "name": "Bob"}],
    "web_url": "https://gitlab.com/acme/web/-/issues/7",
    "created_at": "2026-03-01T10:00:00.123Z",
    "updated_at": "2026-03-02T12:00:00.500+02:00",
}


def test_an_item_maps_to_a_remote_issue() -> None:
    issue = issue_from_gitlab(ITEM)

    assert issue.external_id == "84"
    assert issue.number == "#7"
    assert issue.title == "Crash"
    assert issue.body == ""
    assert issue.state is IssueState.CLOSED
    assert issue.labels == ("p1", "bug")
    assert issue.assignees == ("bob",)
    assert issue.url == "https://gitlab.com/acme/web/-/issues/7"
    assert issue.created_at == datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert issue.updated_at == datetime(2026, 3, 2, 10, 0, 0, 500000, tzinfo=UTC)


def test_an_opened_issue_is_open() -> None:
    assert issue_from_gitlab(ITEM | {"state": "opened"}).state is IssueState.OPEN


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "'id' is not a int"),
        ({"id": True}, "'id' is not a int"),
        ({"iid": "7"}, "'iid' is not a int"),
        ({"state": "locked"}, "state is 'locked'"),
        ({"labels": [3]}, "int where an object belongs"),
        ({"labels": "bug"}, "'labels' is not a list"),
        ({"assignees": [{"login": "bob"}]}, "'username' is not a str"),
        ({"description": 5}, "'description' is not a str"),
        ({"updated_at": "yesterday"}, "'updated_at' is not a time"),
        ({"title": True}, "'title' is not a str"),
    ],
)
def test_a_malformed_item_is_a_tracker_error(change: dict[str, object], message: str) -> None:
    with pytest.raises(TrackerError, match=message):
        issue_from_gitlab(ITEM | change)


def test_a_missing_field_is_a_tracker_error_not_a_key_error() -> None:
    item = {k: v for k, v in ITEM.items() if k != "web_url"}

    with pytest.raises(TrackerError, match="'web_url' is not a str"):
        issue_from_gitlab(item)


@pytest.mark.parametrize("payload", [{"message": "x"}, "text", None, [1]])
def test_a_page_that_is_not_a_list_of_objects_is_a_tracker_error(payload: object) -> None:
    with pytest.raises(TrackerError, match="GitLab sent"):
        issues_of(payload)
