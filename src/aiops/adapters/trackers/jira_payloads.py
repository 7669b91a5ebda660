"""Jira's issue payloads (search results of the v2 and v3 APIs) mapped to RemoteIssue, with the
shape checks that turn a surprising answer into a TrackerError rather than a KeyError."""

from __future__ import annotations

from collections.abc import Mapping

from aiops.adapters.trackers.adf import adf_to_text
from aiops.adapters.trackers.payloads import Payload
from aiops.domain.model.trackers import IssueState, RemoteIssue, TrackerError

JIRA = Payload("Jira")


def issues_of(page: Mapping[str, object], root: str) -> list[RemoteIssue]:
    return [
        issue_from_jira(item, root) for item in JIRA.field(page, "issues", list, "a search answer")
    ]


def issue_from_jira(item: object, root: str) -> RemoteIssue:
    issue = JIRA.mapping(item, "an issue")
    fields = JIRA.mapping(issue.get("fields"), "an issue's fields")
    key = JIRA.field(issue, "key", str, "an issue")
    issue_id = issue.get("id")
    if not isinstance(issue_id, str | int) or isinstance(issue_id, bool):
        raise TrackerError("Jira sent an issue whose 'id' is not a string")
    return RemoteIssue(
        external_id=str(issue_id),
        number=key,
        title=JIRA.field(fields, "summary", str, "an issue"),
        body=_body(fields.get("description")),
        state=_state(fields.get("status")),
        labels=tuple(_label(label) for label in JIRA.field(fields, "labels", list, "an issue")),
        assignees=_assignees(fields.get("assignee")),
        url=f"{root}/browse/{key}",
        created_at=JIRA.time(fields, "created"),
        updated_at=JIRA.time(fields, "updated"),
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
    category = JIRA.mapping(
        JIRA.mapping(status, "a status").get("statusCategory"), "a status category"
    )
    return IssueState.CLOSED if category.get("key") == "done" else IssueState.OPEN


def _assignees(assignee: object) -> tuple[str, ...]:
    if assignee is None:
        return ()
    person = JIRA.mapping(assignee, "an assignee")
    for name in ("displayName", "name", "accountId"):
        value = person.get(name)
        if isinstance(value, str) and value:
            return (value,)
    raise TrackerError("Jira sent an assignee without a name")


def _label(label: object) -> str:
    if not isinstance(label, str):
        raise TrackerError(f"Jira sent a label that is a {type(label).__name__}")
    return label
