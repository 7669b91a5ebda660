"""What API clients send: small frozen classes, structured strictly (unknown keys refused)."""

from __future__ import annotations

from typing import Any

import attrs

from aiops.domain.model.projects import DEFAULT_BRANCH
from aiops.domain.model.tenants import DEFAULT_COLOR


@attrs.frozen
class TenantIn:
    slug: str
    name: str
    color: str = DEFAULT_COLOR


@attrs.frozen
class TenantPatch:
    name: str | None = None
    color: str | None = None


@attrs.frozen
class ProjectIn:
    tenant: str
    slug: str
    name: str
    repo_url: str | None = None
    default_branch: str = DEFAULT_BRANCH
    identity_id: int | None = None
    https_token: str | None = attrs.field(default=None, repr=False)  # write-only


@attrs.frozen
class ProjectPatch:
    """None (or absent) keeps a field; clear_identity: true removes the identity;
    clear_https_token: true removes the https token (write-only, never sent back)."""

    name: str | None = None
    repo_url: str | None = None
    default_branch: str | None = None
    identity_id: int | None = None
    clear_identity: bool = False
    https_token: str | None = attrs.field(default=None, repr=False)
    clear_https_token: bool = False


@attrs.frozen
class UserIn:
    email: str
    name: str
    username: str | None = None
    is_admin: bool = False
    linux_username: str | None = None


@attrs.frozen
class MemberIn:
    email: str
    role: str


@attrs.frozen
class BranchIn:
    """checkout / merge: {"branch": "x"}; create-branch: {"branch": "x", "from": "origin/main"}."""

    branch: str | None = None
    base: str | None = None  # "from" in JSON


@attrs.frozen
class TriageIn:
    """PATCH /api/v1/issues/{id}: each field optional; null or absent keeps it."""

    status: str | None = None
    severity: str | None = None
    clear_severity: bool = False
    owner_email: str | None = None
    clear_owner: bool = False
    note: str | None = None


@attrs.frozen
class SessionIn:
    """POST /api/v1/sessions: launch a tool as the caller in a project (optionally for an
    issue)."""

    project_id: int
    tool: str
    issue_id: int | None = None


@attrs.frozen
class AgentContextIn:
    """POST /api/v1/issues/{id}/agent-context: notes to add below the issue (optional)."""

    notes: str | None = None


ExtraVarsIn = dict[str, Any] | str | None  # checked by the domain (parse_extra_vars)


@attrs.frozen
class RunIn:
    """POST /api/v1/runs: an allowlisted playbook and how to run it. `extra_vars` is a JSON
    object, or JSON/YAML text; `secret_vars` names more variables to mask."""

    playbook: str
    inventory: str | None = None
    limit: str | None = None
    tags: str | None = None
    check: bool = False
    extra_vars: ExtraVarsIn = attrs.field(default=None, repr=False)
    secret_vars: list[str] = attrs.field(factory=list)
    identity: str | None = None
