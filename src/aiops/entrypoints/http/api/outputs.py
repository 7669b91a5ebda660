"""What the API sends back, as typed classes: the OpenAPI document's response schemas are
generated from them (api/openapi.py), and every route sends its body as one of them through
`_io.out(kind, value)`, so a body holds exactly its class's fields. Field names are the
JSON's, a contract: never rename."""

from __future__ import annotations

from typing import Any

import attrs

from aiops.domain.model.automation import RunStatus
from aiops.domain.model.projects import CloneFilter
from aiops.domain.model.pull_requests import (
    ChecksState,
    PullState,
    ReviewState,
    StepKind,
    StepState,
)
from aiops.domain.model.sessions import AgentStatus, StatusSource, Tool
from aiops.domain.model.tenants import Role
from aiops.domain.model.trackers import IssueState, Provider, Severity, TriageStatus
from aiops.domain.model.users import GrantSource
from aiops.domain.model.workspaces import TransferPhase
from aiops.entrypoints.http.api.types import Moment

Outcome = dict[str, Any] | None  # pull/merge: {kind, head}; push: {branch, remote_ref, ...}


@attrs.frozen
class ErrorDetail:
    code: str
    message: str


@attrs.frozen
class Error:
    error: ErrorDetail


@attrs.frozen
class Tenant:
    id: int
    slug: str
    name: str
    color: str


@attrs.frozen
class Project:
    id: int
    tenant_id: int
    slug: str
    name: str
    repo_url: str | None
    default_branch: str
    identity_id: int | None
    has_https_token: bool  # whether an https token is set; the token is never sent
    clone_filter: CloneFilter  # how a new workspace is cloned: "none" or "blob:none" (partial)
    clone_depth: int  # how many commits of each branch (0: the full history)
    auto_pull_request: bool  # open the PR when the agent reports finished with new commits
    auto_review_to_agent: bool  # send a "changes requested" review back to the agent


@attrs.frozen
class ProjectUpdated(Project):
    """`cleared`: what the change removed on its own (a new repo_url set by someone who is not
    a global admin clears the remote's https token and SSH identity)."""

    cleared: list[str]


@attrs.frozen
class Identity:
    id: int
    name: str
    public_key: str
    fingerprint: str
    has_private_key: bool
    owner_email: str | None
    created_at: Moment


@attrs.frozen
class User:
    id: int
    email: str
    name: str
    username: str
    is_admin: bool
    linux_username: str | None


@attrs.frozen
class Me:
    """`roles`: tenant id (as text) -> your role there."""

    id: int
    email: str
    is_admin: bool
    roles: dict[str, Role]


@attrs.frozen
class Member:
    """`source`: `manual` (given by hand) or `oidc` (from the provider's groups at sign-in,
    re-applied at each one)."""

    user_id: int
    email: str
    name: str
    role: Role
    source: GrantSource = GrantSource.MANUAL


@attrs.frozen
class Membership:
    user_id: int
    tenant_id: int
    role: Role
    source: GrantSource = GrantSource.MANUAL


@attrs.frozen
class Commit:
    sha: str
    subject: str
    author: str
    committed_at: Moment


@attrs.frozen
class WorkspaceStatus:
    branch: str | None
    upstream: str | None
    ahead: int
    behind: int
    staged: int
    unstaged: int
    untracked: int
    conflicted: list[str] = attrs.field(factory=list)
    last_commit: Commit | None = None


@attrs.frozen
class TransferProgress:
    """A clone or fetch under way (`operation`: clone, fetch or pull). `phase`: starting,
    counting, compressing, receiving, resolving or updating; `percent` is of that phase, and
    `objects_done`/`objects_total` count its items (objects, deltas or files; total 0 when git
    gives none); `bytes_received`: what came over the wire so far (null before git says)."""

    operation: str
    phase: TransferPhase
    percent: int
    objects_done: int
    objects_total: int
    bytes_received: int | None


@attrs.frozen
class Workspace:
    """`outcome`: pull/merge {kind, head}; push {branch, remote_ref, head, up_to_date};
    otherwise null. `progress`: the clone or fetch running in the workspace, null when none.
    While the first clone runs there is no status yet: `status` is null and `progress` says
    how far the clone is."""

    project_id: int
    path: str
    status: WorkspaceStatus | None
    created: bool
    outcome: Outcome
    progress: TransferProgress | None = None


@attrs.frozen
class CancelRequested:
    """The transfer asked to stop (it stops within a moment), as it was when asked."""

    progress: TransferProgress


@attrs.frozen
class Branches:
    current: str | None
    local: list[str]
    remote: list[str]


@attrs.frozen
class RemoteIssue:
    external_id: str
    number: str
    title: str
    state: IssueState
    labels: list[str]
    assignees: list[str]
    updated_at: Moment
    body: str = ""
    url: str = ""
    created_at: Moment | None = None


@attrs.frozen
class Triage:
    status: TriageStatus
    severity: Severity | None
    owner_id: int | None
    note: str


@attrs.frozen
class Issue:
    id: int
    connection_id: int
    project_id: int
    provider: Provider
    remote: RemoteIssue
    triage: Triage


@attrs.frozen
class IssuePage:
    issues: list[Issue]
    total: int
    page: int
    per_page: int
    pages: int


@attrs.frozen
class AgentContextResult:
    path: str
    changed: bool


@attrs.frozen
class Session:
    """`attach`: the command that attaches from a terminal; `shared`: the tenant's members may
    watch its terminal (read-only); `created` (launch only): false when an existing window was
    focused instead; `pane` (one session only): its text now. `status` began at
    `status_since`, told by `status_source`: the tool's own hook, or aiops's reading of its
    pane (issue 18)."""

    id: int
    project_id: int
    user_id: int
    tool: Tool
    issue_id: int | None
    linux_user: str
    tmux_socket: str
    tmux_session: str
    tmux_window: str
    status: AgentStatus
    status_since: Moment
    status_source: StatusSource
    started_at: Moment
    last_activity: Moment | None
    attach: str
    shared: bool
    created: bool = True
    pane: str = ""


@attrs.frozen
class AgentEvent:
    """One status a session went through (newest first): `event` is the tool's hook event
    (e.g. Notification) or "pane" for aiops's reading of the pane; `event_id` the hook's."""

    id: int
    session_id: int
    event: str
    event_id: str | None
    status: AgentStatus
    source: StatusSource
    at: Moment


@attrs.frozen
class AgentEventAccepted:
    """An agent event stored (it is durable when this is sent); the session's status now."""

    ok: bool
    status: AgentStatus


@attrs.frozen
class Playbook:
    name: str
    description: str  # the playbook's leading comment


@attrs.frozen
class HostSummary:
    host: str
    ok: int
    changed: int
    failed: int
    unreachable: int
    skipped: int


@attrs.frozen
class Run:
    """`extra_vars`: secret ones shown as ********; `runner`: the aiops process running it
    (host:pid:start time:pid namespace); `runner_seen_at`: its last heartbeat; `reason`: why
    it ended as it did when the rc does not tell."""

    id: int
    playbook: str
    inventory: str
    limit: str | None
    tags: str | None
    check: bool
    extra_vars: dict[str, Any]
    identity: str | None
    status: RunStatus
    rc: int | None
    started_by: str
    queued_at: Moment
    started_at: Moment | None
    ended_at: Moment | None
    duration_seconds: float | None
    summary: list[HostSummary]
    cancel_requested: bool
    runner: str | None
    runner_seen_at: Moment | None
    reason: str | None


@attrs.frozen
class RunEvent:
    """`seq`: 1, 2, ... in the order ansible emitted them; `event`: ansible's event type."""

    seq: int
    event: str
    host: str | None
    task: str | None
    status: str | None
    stdout: str
    at: Moment | None


@attrs.frozen
class RunEvents:
    """`last_seq`: pass it as ?after= for the next page; `done`: the run has finished and no
    event follows these."""

    run: Run
    events: list[RunEvent]
    last_seq: int
    done: bool


@attrs.frozen
class Worktree:
    """`status` and `unpushed` (commits on no remote-tracking branch) as read now, in a list
    (`status` null with `error` when they could not be read); `created` (add only): false
    when you had that worktree already."""

    id: int
    project_id: int
    user_id: int
    issue_id: int | None
    branch: str
    path: str
    created_at: Moment
    status: WorkspaceStatus | None = None
    unpushed: int = 0
    error: str | None = None
    created: bool = False


# From issue to merged pull request (issue 19)
@attrs.frozen
class ReviewCommentOut:
    """An unresolved review comment: the file and line it is on (null line: the whole
    change), who wrote it and what it says."""

    path: str
    line: int | None
    author: str
    body: str


@attrs.frozen
class PullRequest:
    """A pull (GitHub) or merge (GitLab) request aiops opened for an issue, as its code host
    last reported it (the tracker sync and webhooks keep it current). `review`: none,
    commented, approved or changes_requested; `checks`: none, pending, passing or failing,
    `checks_summary` in words; `user_id`: whose agent made it."""

    id: int
    project_id: int
    issue_id: int | None
    user_id: int
    connection_id: int
    provider: Provider
    number: int
    url: str
    head: str
    base: str
    title: str
    state: PullState
    review: ReviewState
    checks: ChecksState
    checks_summary: str
    failing_checks: list[str]
    unresolved_comments: list[ReviewCommentOut]
    created_at: Moment
    updated_at: Moment


@attrs.frozen
class LoopStep:
    """One step of the loop (open the pull request, comment on the issue, send a review to
    the agent): `state` pending (retried at `next_attempt_at` after `last_error`), done
    (`result`: what it made, e.g. the pull request's URL or "nothing to propose") or failed
    (`last_error` says why)."""

    id: int
    kind: StepKind
    key: str
    state: StepState
    attempts: int
    next_attempt_at: Moment | None
    last_error: str | None
    result: str | None


@attrs.frozen
class PullRequests:
    pull_requests: list[PullRequest]


@attrs.frozen
class PullRequestOpened:
    """The open step, run at once: `pull_request` is null until it succeeds (a step pending
    after a tracker error is retried with backoff)."""

    pull_request: PullRequest | None
    step: LoopStep


@attrs.frozen
class StepQueued:
    step: LoopStep


@attrs.frozen
class WorktreeRef:
    id: int
    branch: str
    path: str


@attrs.frozen
class IssueWorkStarted:
    """The agent launched (`created` false: it was running already and is focused) in the
    issue's worktree, and the issue with its new triage (in_progress, owned by the user)."""

    session: Session
    created: bool
    worktree: WorktreeRef
    issue: Issue
