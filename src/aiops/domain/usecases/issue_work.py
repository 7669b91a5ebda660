"""Start work on an issue: the agent launched in the issue's worktree, the issue in progress.

LaunchSession with the issue makes (or reuses) the user's worktree on `aiops/<issue-key-
slug>` from the default branch (AddWorktree, which also keeps AGENTS.override.md out of git),
writes the issue and aiops's instructions into its AGENTS.override.md (PopulateAgentContext)
and starts the tool there, or focuses its running window. Then the issue's triage says
`in_progress`, owned by the user, and `issue.work_started` is audited.

Members start work for themselves, owners of the issue's tenant for anyone in it, viewers
not at all; an issue of a tenant the actor is not in does not exist for them. A launch that
fails leaves the triage as it was.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from aiops.domain.errors import DomainError, NotFound, PermissionDenied
from aiops.domain.model.access import SYSTEM, Actor, Permission, may_act_for
from aiops.domain.model.sessions import AgentSession
from aiops.domain.model.tenants import Role, Tenant
from aiops.domain.model.trackers import Issue, TriageStatus
from aiops.domain.model.users import User
from aiops.domain.model.worktrees import Worktree
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_user
from aiops.domain.usecases.sessions import LaunchResult, LaunchSessionCommand
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@attrs.frozen(kw_only=True)
class StartIssueWorkCommand:
    issue_id: int
    tool: str
    user_email: str | None = None  # None: the actor
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class IssueWorkStarted:
    session: AgentSession
    created: bool  # False: the agent was running already (focused)
    worktree: Worktree
    issue: Issue  # with its new triage (in_progress, owner = the user)


@attrs.frozen(kw_only=True)
class _Allowed:
    issue: Issue
    tenant: Tenant
    user: User
    acting: Actor  # who LaunchSession sees: one that may act for the user


class StartIssueWork:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        launch: Callable[[LaunchSessionCommand], LaunchResult],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._launch = launch

    def __call__(self, cmd: StartIssueWorkCommand) -> IssueWorkStarted:
        allowed = self._allowed(cmd)
        issue, user = allowed.issue, allowed.user
        launched = self._launch(
            LaunchSessionCommand(
                project_id=issue.project_id,
                tool=cmd.tool,
                user_email=user.email,
                issue_id=issue.id,
                actor=allowed.acting,
            )
        )
        with self._uow() as uow:
            worktree = _worktree_of(uow, issue, user)
            started = _in_progress(uow, issue.id or 0, user)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="issue.work_started",
                target=f"issue:{issue.id}",
                tenant=allowed.tenant.slug,
                user=user.email,
                tool=launched.session.tool.value,
                branch=worktree.branch,
                session=str(launched.session.id),
            )
            uow.commit()
        return IssueWorkStarted(
            session=launched.session, created=launched.created, worktree=worktree, issue=started
        )

    def _allowed(self, cmd: StartIssueWorkCommand) -> _Allowed:
        missing = f"issue {cmd.issue_id} does not exist"
        with self._uow(read_only=True) as uow:
            issue = uow.issues.get(cmd.issue_id)
            project = uow.projects.get(issue.project_id) if issue else None
            tenant = uow.tenants.get(project.tenant_id) if project else None
            if issue is None or tenant is None or tenant.id is None:
                raise NotFound(missing)
            cmd.actor.require(Permission.USE, tenant, missing)
            user = require_user(uow, cmd.user_email or cmd.actor.name)
        return _Allowed(
            issue=issue, tenant=tenant, user=user, acting=acting_for(cmd.actor, user, tenant)
        )


def acting_for(actor: Actor, user: User, tenant: Tenant) -> Actor:
    """Who launches for `user`: the actor when it may act as them (themselves, an admin, the
    CLI); for a tenant's owner, an actor of the owner's name that may act as the user, with
    the owner's rights in that tenant alone. PermissionDenied for anyone else."""
    assert tenant.id is not None
    if may_act_for(actor, user.id):
        return actor
    if actor.may(Permission.MANAGE, tenant.id):
        return Actor(name=actor.name, user_id=user.id, roles={tenant.id: Role.OWNER})
    raise PermissionDenied(
        "you may only start work for yourself (a tenant's owners may for its members)"
    )


def _worktree_of(uow: UnitOfWork, issue: Issue, user: User) -> Worktree:
    mine = uow.worktrees.list(project_id=issue.project_id, user_id=user.id)
    found = [w for w in mine if w.issue_id == issue.id]
    if not found:
        raise DomainError(
            f"the agent was launched, but {user.email} has no worktree of issue {issue.id}"
        )
    return found[-1]


def _in_progress(uow: UnitOfWork, issue_id: int, user: User) -> Issue:
    """The issue, in progress and owned by the user (read again: a sync may have run)."""
    issue = uow.issues.get(issue_id)
    if issue is None:
        raise NotFound(f"issue {issue_id} does not exist")
    triage = attrs.evolve(issue.triage, status=TriageStatus.IN_PROGRESS, owner_id=user.id)
    if triage != issue.triage:
        uow.issues.set_triage(issue_id, triage)
    return attrs.evolve(issue, triage=triage)
