"""Jira's issue payloads (search results of the v2 and v3 APIs) mapped to RemoteIssue, with the
shape checks that turn a surprising answer into a TrackerError rather than a KeyError."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

from aiops.adapters.trackers.adf import adf_to_text
from aiops.domain.model.trackers import IssueState, RemoteIssue, TrackerError

T = TypeVar("T")


def issues_of(page: Mapping[str, object], root: str) -> list[RemoteIssue]:
    return [
        issue_from_jira(item, root)
        for item in payload_field(page, "issues", list, "a search answer")
    ]


def issue_from_jira(item: object, root: str) -> RemoteIssue:
    issue = payload_object(item, "an issue")
    fields = payload_object(issue.get("fields"), "an issue's fields")
    key = payload_field(issue, "key", str, "an issue")
    issue_id = issue.get("id")
    if not isinstance(issue_id, str | int) or isinstance(issue_id, bool):
        raise TrackerError("Jira sent an issue whose 'id' is not a string")
    return RemoteIssue(
        external_id=str(issue_id),
        number=key,
        title=payload_field(fields, "summary", str, "an issue"),
        body=_body(fields.get("description")),
        state=_state(fields.get("status")),
        labels=tuple(_label(label) for label in payload_field(fields, "labels", list, "an issue")),
        assignees=_assignees(fields.get("assignee")),
        url=f"{root}/browse/{key}",
        created_at=_time(fields, "created"),
        updated_at=_time(fields, "updated"),
    )


def _body(description: object) -> str:
    """Cloud's v3 sends ADF, Server's v2 a string; none is an empty body."""
    if description is None:
        return ""
    if isinstance(description, str):
        return description
    if isinstance(description, Mapping):
        return adf_to_text(description)
    raise TrackerError(f"Jira sent a description that is a {type(description).__name__}")


def _state(status: object) -> IssueState:
    category = payload_object(
        payload_object(status, "a status").get("statusCategory"), "a status category"
    )
    return IssueState.CLOSED if category.get("key") == "done" else IssueState.OPEN


def _assignees(assignee: object) -> tuple[str, ...]:
    if assignee is None:
        return ()
    person = payload_object(assignee, "an assignee")
    for name in ("displayName", "name", "accountId"):
        value = person.get(name)
        if isinstance(value, str) and value:
            return (value,)
    raise TrackerError("Jira sent an assignee without a name")


def _label(label: object) -> str:
    if not isinstance(label, str):
        raise TrackerError(f"Jira sent a label that is a {type(label).__name__}")
    return label


def _time(fields: Mapping[str, object], name: str) -> datetime:
    """Jira's "2026-01-01T10:00:00.000+0000", in UTC."""
    text = payload_field(fields, name, str, "an issue")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TrackerError(f"Jira sent an issue whose {name!r} is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def payload_object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TrackerError(f"Jira sent {type(value).__name__} where {what} belongs")
    return value


def payload_field(item: Mapping[str, object], name: str, kind: type[T], what: str) -> T:
    value = item.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TrackerError(f"Jira sent {what} whose {name!r} is not a {kind.__name__}")
    return value


def payload_optional(item: Mapping[str, object], name: str, kind: type[T]) -> T | None:
    return (
        payload_field(item, name, kind, "a search answer") if item.get(name) is not None else None
    )
