"""Reading GitLab's merge requests, approvals, discussions and pipelines into RemotePull.

State: opened (or locked, GitLab's brief state while merging) -> OPEN, or DRAFT when the merge
request is a draft (`draft`, or the older `work_in_progress`); merged -> MERGED; closed ->
CLOSED. A draft's title loses its "Draft:" prefix (the state says it).

Review state (GitLab has no "request changes" verdict everywhere): approved -> APPROVED; else
any unresolved thread (a resolvable note not resolved) -> CHANGES_REQUESTED; else any note by
a person (not a system note) -> COMMENTED; else NONE. The unresolved threads' first notes are
the unresolved comments (file and line from their diff position, when they have one).

Checks, from the head pipeline's status: success -> PASSING; failed or canceled -> FAILING
(the failed jobs named); created, waiting_for_resource, preparing, pending, running,
scheduled, manual -> PENDING; skipped or no pipeline -> NONE.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from aiops.adapters.trackers.payloads import Payload
from aiops.domain.model.pull_requests import (
    ChecksState,
    PullState,
    RemotePull,
    ReviewComment,
    ReviewState,
)
from aiops.domain.model.trackers import TrackerError

GITLAB = Payload("GitLab")
WHAT = "a merge request"
DRAFT_PREFIX = re.compile(r"^\s*(?:\[draft\]|\(draft\)|draft:|draft\s-|wip:)\s*", re.IGNORECASE)
PENDING = frozenset(
    {"created", "waiting_for_resource", "preparing", "pending", "running", "scheduled", "manual"}
)


def pull_from_gitlab(item: object) -> RemotePull:
    """A merge request of `GET /merge_requests/:iid` (or of a list, or of the POST), with its
    head pipeline's state when the answer has one; without approvals and discussions."""
    mr = GITLAB.mapping(item, WHAT)
    state = GITLAB.field(mr, "state", str, WHAT)
    draft = mr.get("draft") is True or mr.get("work_in_progress") is True
    if state in ("opened", "locked"):
        remote_state = PullState.DRAFT if draft else PullState.OPEN
    elif state == "merged":
        remote_state = PullState.MERGED
    elif state == "closed":
        remote_state = PullState.CLOSED
    else:
        raise TrackerError(f"GitLab sent a merge request whose state is {state[:20]!r}")
    title = GITLAB.field(mr, "title", str, WHAT)
    sha = mr.get("sha")
    checks, summary = pipeline_checks(mr.get("head_pipeline"))
    return RemotePull(
        number=GITLAB.field(mr, "iid", int, WHAT),
        url=GITLAB.field(mr, "web_url", str, WHAT),
        head=GITLAB.field(mr, "source_branch", str, WHAT),
        base=GITLAB.field(mr, "target_branch", str, WHAT),
        title=DRAFT_PREFIX.sub("", title, count=1) if draft else title,
        state=remote_state,
        checks=checks,
        checks_summary=summary,
        head_sha=sha if isinstance(sha, str) else "",
    )


def head_pipeline_id(item: object) -> int | None:
    """The id of the merge request's head pipeline when it failed (its jobs name why)."""
    pipeline = GITLAB.mapping(item, WHAT).get("head_pipeline")
    if not isinstance(pipeline, Mapping) or pipeline.get("status") != "failed":
        return None
    ident = pipeline.get("id")
    return ident if isinstance(ident, int) and not isinstance(ident, bool) else None


def pipeline_checks(pipeline: object) -> tuple[ChecksState, str]:
    if not isinstance(pipeline, Mapping):
        return ChecksState.NONE, ""
    status = pipeline.get("status")
    if status == "success":
        return ChecksState.PASSING, "pipeline passed"
    if status in ("failed", "canceled"):
        return ChecksState.FAILING, f"pipeline {status}"
    if status in PENDING:
        return ChecksState.PENDING, f"pipeline {status}"
    return ChecksState.NONE, f"pipeline {status}" if isinstance(status, str) else ""


def failed_jobs(payload: object) -> tuple[str, ...]:
    if not isinstance(payload, list):
        raise TrackerError(f"GitLab sent {type(payload).__name__} where a list of jobs belongs")
    names = [GITLAB.field(GITLAB.mapping(job), "name", str, "a job") for job in payload]
    return tuple(dict.fromkeys(names))


def approved(payload: object) -> bool:
    answer = GITLAB.mapping(payload, "approvals")
    flag = answer.get("approved")
    if isinstance(flag, bool):
        return flag
    by = answer.get("approved_by")
    return isinstance(by, list) and bool(by)


def review_of(
    is_approved: bool, discussions: Iterable[object]
) -> tuple[ReviewState, tuple[ReviewComment, ...]]:
    unresolved: list[ReviewComment] = []
    commented = False
    for item in discussions:
        discussion = GITLAB.mapping(item, "a discussion")
        notes = GITLAB.field(discussion, "notes", list, "a discussion")
        if not notes:
            continue
        first = GITLAB.mapping(notes[0], "a note")
        if first.get("system") is True:
            continue
        commented = True
        if first.get("resolvable") is True and first.get("resolved") is not True:
            unresolved.append(comment_of(first))
    if is_approved:
        state = ReviewState.APPROVED
    elif unresolved:
        state = ReviewState.CHANGES_REQUESTED
    else:
        state = ReviewState.COMMENTED if commented else ReviewState.NONE
    return state, tuple(unresolved)


def comment_of(note: Mapping[str, object]) -> ReviewComment:
    position = note.get("position")
    path: object = ""
    line: object = None
    if isinstance(position, Mapping):
        path = position.get("new_path") or position.get("old_path") or ""
        line = position.get("new_line")
        if line is None:
            line = position.get("old_line")
    author = note.get("author")
    username = author.get("username") if isinstance(author, Mapping) else None
    ident = note.get("id")
    return ReviewComment(
        path=path if isinstance(path, str) else "",
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        author=username if isinstance(username, str) else "unknown",
        body=GITLAB.field(note, "body", str, "a note"),
        id="" if ident is None else str(ident),
    )
