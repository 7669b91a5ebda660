"""What API clients send: small frozen classes, checked at the boundary (unknown keys refused,
types and the constraints of api/types.py) before a command is built; the OpenAPI document's
request schemas are generated from them."""

from __future__ import annotations

from typing import Annotated, Any

import attrs
from msgspec import Meta

from aiops.domain.model.projects import DEFAULT_BRANCH, CloneFilter
from aiops.domain.model.sessions import Tool
from aiops.domain.model.tenants import DEFAULT_COLOR, Role
from aiops.domain.model.trackers import Severity, TriageStatus
from aiops.domain.usecases.triage import NOTE_MAX
from aiops.entrypoints.http.api.types import (
    Branch,
    CloneDepth,
    Color,
    Detail,
    Email,
    EventId,
    EventName,
    HookTool,
    HostLimit,
    HttpsToken,
    Id,
    IdentityName,
    Inventory,
    Name,
    PlaybookName,
    RepoUrl,
    SentAt,
    Slug,
    Tags,
    Text,
    Username,
)


@attrs.frozen
class TenantIn:
    slug: Slug
    name: Name
    color: Color = DEFAULT_COLOR


@attrs.frozen
class TenantPatch:
    name: Name | None = None
    color: Color | None = None


@attrs.frozen
class ProjectIn:
    tenant: Slug
    slug: Slug
    name: Name
    repo_url: RepoUrl | None = None
    default_branch: Branch = DEFAULT_BRANCH
    identity_id: Id | None = None
    https_token: HttpsToken | None = attrs.field(default=None, repr=False)  # write-only
    clone_filter: CloneFilter = CloneFilter.NONE
    clone_depth: CloneDepth = 0


@attrs.frozen
class ProjectPatch:
    """None (or absent) keeps a field; clear_identity: true removes the identity;
    clear_https_token: true removes the https token (write-only, never sent back)."""

    name: Name | None = None
    repo_url: RepoUrl | None = None
    default_branch: Branch | None = None
    identity_id: Id | None = None
    clear_identity: bool = False
    https_token: HttpsToken | None = attrs.field(default=None, repr=False)
    clear_https_token: bool = False
    clone_filter: CloneFilter | None = None
    clone_depth: CloneDepth | None = None
    auto_pull_request: bool | None = None
    auto_review_to_agent: bool | None = None


# A clear_* flag that is true with its field set is refused ("not both at once"): the flag ->
# the field, which the document then says must be null or absent.
CLEARS: dict[type[Any], dict[str, str]] = {
    ProjectPatch: {"clear_identity": "identity_id", "clear_https_token": "https_token"},
}


@attrs.frozen
class UserIn:
    email: Email
    name: Name
    username: Username | None = None
    is_admin: bool = False
    linux_username: Username | None = None


@attrs.frozen
class MemberIn:
    email: Email
    role: Role


@attrs.frozen
class BranchIn:
    """checkout / merge: {"branch": "x"}; create-branch: {"branch": "x", "from": "origin/main"}."""

    branch: Branch
    base: Branch | None = None  # "from" in JSON


@attrs.frozen
class OptionalBranchIn:
    """fetch / pull / push: no body, or {"branch": "x"}."""

    branch: Branch | None = None
    base: Branch | None = None  # "from" in JSON


@attrs.frozen
class TriageIn:
    """PATCH /api/v1/issues/{id}: each field optional; null or absent keeps it."""

    status: TriageStatus | None = None
    severity: Severity | None = None
    clear_severity: bool = False
    owner_email: Email | None = None
    clear_owner: bool = False
    note: Annotated[Text, Meta(max_length=NOTE_MAX)] | None = None


CLEARS[TriageIn] = {"clear_severity": "severity", "clear_owner": "owner_email"}


@attrs.frozen
class SessionIn:
    """POST /api/v1/sessions: launch a tool as the caller in a project (optionally for an
    issue)."""

    project_id: Id
    tool: Tool
    issue_id: Id | None = None


@attrs.frozen
class AgentEventIn:
    """POST /api/v1/agent-events (and a line of the event socket, with its `token`): what a
    session's hook command tells about its tool (issue 18)."""

    session_id: Id
    tool: HookTool
    event: EventName
    event_id: EventId
    sent_at: SentAt
    detail: Detail = attrs.field(factory=dict)


@attrs.frozen
class SessionPatchIn:
    """PATCH /api/v1/sessions/{id}: share the session's terminal with the tenant's members
    (read-only) or stop sharing it."""

    shared: bool


@attrs.frozen
class AgentContextIn:
    """POST /api/v1/issues/{id}/agent-context: notes to add below the issue (optional)."""

    notes: Text | None = None


ExtraVarsIn = dict[str, Any] | str | None  # checked by the domain (parse_extra_vars)


@attrs.frozen
class RunIn:
    """POST /api/v1/runs: an allowlisted playbook and how to run it. `extra_vars` is a JSON
    object, or JSON/YAML text of one (at most 64 KiB), of variables named with letters,
    digits and '_', never ansible_*: JSON Schema cannot say so, and the server refuses other
    extra vars with 400. `secret_vars` names more variables to mask."""

    playbook: PlaybookName
    inventory: Inventory | None = None
    limit: HostLimit | None = None
    tags: Tags | None = None
    check: bool = False
    extra_vars: ExtraVarsIn = attrs.field(default=None, repr=False)
    secret_vars: list[Text] = attrs.field(factory=list)
    identity: IdentityName | None = None


@attrs.frozen
class WorktreeIn:
    """POST /api/v1/projects/{id}/worktrees: {"branch": "x"} or {"issue_id": 12}, and where a
    new branch starts ({"from": "origin/main"}; default: origin/<default branch>)."""

    branch: Branch | None = None
    issue_id: Id | None = None
    base: Branch | None = None  # "from" in JSON


@attrs.frozen
class IssueWorkIn:
    """POST /api/v1/issues/{id}/work: start an agent on the issue in its worktree, for you (or,
    for the tenant's owners, for `user_email`)."""

    tool: Tool
    user_email: Email | None = None


@attrs.frozen
class PullRequestIn:
    """POST /api/v1/issues/{id}/pull-request: push the issue's branch and open its pull
    request (a draft with `draft`), from your worktree (owners: `user_email`'s)."""

    draft: bool = False
    user_email: Email | None = None
