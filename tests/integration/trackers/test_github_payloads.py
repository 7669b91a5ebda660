"""issue_from_github and malformed answers: a clear TrackerError, never a KeyError."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiops.adapters.trackers.github import issue_from_github, issues_of
from aiops.domain.model.trackers import IssueState, TrackerError

ITEM: dict[str, object] = {
    "id": 42,
    "number": 7,
    "title": "Crash",
    "body": None,
    "state": "closed",
    "labels": ["p1", {"name": "bug"}],
    "assignees": [{"login": "bob"}],
    "html_url": "https://github.com/acme/web/issues/7",
    "created_at": "2026-03-01T10:00:00Z",
    "updated_at": "2026-03-02T12:00:00+02:00",
}


def test_an_item_maps_to_a_remote_issue() -> None:
    issue = issue_from_github(ITEM)

    assert issue.external_id == "42"
    assert issue.number == "#7"
    assert issue.body == ""
    assert issue.state is IssueState.CLOSED
    assert issue.labels == ("p1", "bug")
    assert issue.assignees == ("bob",)
    assert issue.updated_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "'id' is not a int"),
        ({"number": "7"}, "'number' is not a int"),
        ({"state": "merged"}, "state is 'merged'"),
        ({"labels": [3]}, "int where an object belongs"),
        ({"assignees": [{}]}, "'login' is not a str"),
        ({"updated_at": "yesterday"}, "'updated_at' is not a time"),
        ({"title": True}, "'title' is not a str"),
        ({"id": True}, "'id' is not a int"),
    ],
)
def test_a_malformed_item_is_a_tracker_error(change: dict[str, object], message: str) -> None:
    with pytest.raises(TrackerError, match=message):
        issue_from_github(ITEM | change)


def test_a_missing_field_is_a_tracker_error_not_a_key_error() -> None:
    item = {k: v for k, v in ITEM.items() if k != "html_url"}

    with pytest.raises(TrackerError, match="'html_url' is not a str"):
        issue_from_github(item)


@pytest.mark.parametrize("payload", [{"message": "x"}, "text", None, [1]])
def test_a_page_that_is_not_a_list_of_objects_is_a_tracker_error(payload: object) -> None:
    with pytest.raises(TrackerError, match="GitHub sent"):
        issues_of(payload)
