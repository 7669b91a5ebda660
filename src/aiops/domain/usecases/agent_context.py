"""The issue-context block of a workspace's AGENTS.override.md: write, append and clear it.

Three use cases. `LookUpIssue` finds what aiops has synced about an issue named on the
command line. `EditAgentContext` changes the file of a workspace given by its path (the CLI,
which works without a server: a block with just the id, title and notes is still useful).
`PopulateAgentContext` writes an issue into a user's own workspace of the issue's project (the
Issues page's button, the API, and a session launch), as the user's Linux account; it is
audited.
"""

from __future__ import annotations

import enum
from pathlib import Path, PurePosixPath

import attrs

from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model import agent_context
from aiops.domain.model.access import SYSTEM, Actor, Permission, require_acting_for
from aiops.domain.model.agent_context import IssueContext
from aiops.domain.model.outside_text import DEFAULT_MAX_BYTES
from aiops.domain.model.projects import Project
from aiops.domain.model.trackers import Issue
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspaceMissing, WorkspacePolicy
from aiops.domain.model.worktrees import worktrees_folder
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import actor_for, require_user
from aiops.ports.agent_context_files import AgentContextFiles
from aiops.ports.clock import Clock
from aiops.ports.git_workspaces import GitWorkspaces, WorkTree
from aiops.ports.linux_users import LinuxAccount, LinuxUsers
from aiops.ports.unit_of_work import IssueQuery, UnitOfWork, UnitOfWorkFactory


class ContextAction(enum.StrEnum):
    WRITE = "write"
    APPEND = "append"
    CLEAR = "clear"


@attrs.frozen(kw_only=True)
class AgentContextResult:
    path: str
    changed: bool
    issue: IssueContext | None = None  # what `write` put in the block


def context_of(
    issue: Issue, owner: str | None = None, *, shown_id: str | None = None
) -> IssueContext:
    """An issue's synced facts, as the block shows them."""
    remote, triage = issue.remote, issue.triage
    return IssueContext(
        id=shown_id or str(issue.id),
        title=remote.title,
        url=remote.url or None,
        provider=issue.provider.value,
        key=remote.number,
        state=remote.state.value,
        labels=remote.labels,
        triage_status=triage.status.value,
        severity=triage.severity.value if triage.severity else None,
        owner=owner,
        note=triage.note or None,
        body=remote.body,
    )


def _owner(uow: UnitOfWork, issue: Issue) -> str | None:
    owner = uow.users.get(issue.triage.owner_id) if issue.triage.owner_id else None
    return owner.email if owner else None


def _visible(uow: UnitOfWork, issue: Issue | None, actor: Actor) -> Issue | None:
    project = uow.projects.get(issue.project_id) if issue else None
    return issue if project and actor.may(Permission.VIEW, project.tenant_id) else None


@attrs.frozen(kw_only=True)
class LookUpCommand:
    issue: str  # an aiops issue id ("42") or a tracker number ("OPS-7", "#12")
    workspace: Path | None = None  # its project (by origin URL) scopes a tracker number
    actor: Actor = SYSTEM


class LookUpIssue:
    """A synced issue by aiops id, else by its tracker number within the workspace's project;
    None when aiops does not know it (or the actor may not see it)."""

    def __init__(self, *, uow: UnitOfWorkFactory, git: GitWorkspaces) -> None:
        self._uow = uow
        self._git = git

    def __call__(self, cmd: LookUpCommand) -> IssueContext | None:
        ref = agent_context.issue_id(cmd.issue)
        with self._uow(read_only=True) as uow:
            issue = None
            if ref.isdigit() and len(ref) <= 12:
                issue = _visible(uow, uow.issues.get(int(ref)), cmd.actor)
            project = self._project_of(uow, cmd.workspace, cmd.actor) if issue is None else None
            if project is not None:
                issue = _by_number(uow, project, ref)
            if issue is None:
                return None
            return context_of(issue, _owner(uow, issue), shown_id=ref)

    def _project_of(self, uow: UnitOfWork, workspace: Path | None, actor: Actor) -> Project | None:
        """The project whose repository the workspace is a clone of (when exactly one is;
        several projects of one repository are told apart by the folder's name)."""
        # As the account this process runs as: the CLI's caller, in their own workspace.
        origin = self._git.origin(WorkTree(workspace)) if workspace else None
        if origin is None or workspace is None:
            return None
        clones = [
            p
            for p in uow.projects.list()
            if p.repo_url == origin and actor.may(Permission.VIEW, p.tenant_id)
        ]
        if len(clones) > 1:
            clones = [p for p in clones if p.slug == workspace.name]
        return clones[0] if len(clones) == 1 else None


def _by_number(uow: UnitOfWork, project: Project, ref: str) -> Issue | None:
    numbers = {ref, f"#{ref}"} if ref.isdigit() else {ref}
    for number in sorted(numbers):
        query = IssueQuery(project_ids=[project.id or 0], text=number, limit=100)
        for issue in uow.issues.list(query):
            if issue.remote.number == number:
                return issue
    return None


@attrs.frozen(kw_only=True)
class EditCommand:
    workspace: Path  # the git work tree whose root holds AGENTS.override.md
    action: ContextAction
    context: IssueContext | None = None  # write: the issue (id and title at least)
    notes: str = ""
    account: LinuxAccount | None = None  # whose workspace; None: the account aiops runs as


class EditAgentContext:
    """Write, append to or clear the block of the file at a workspace's root, as the
    workspace's account (the CLI: as whoever runs it)."""

    def __init__(self, *, files: AgentContextFiles, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._files = files
        self._max_bytes = max_bytes  # the tracker's description (AIOPS_AGENT_CONTEXT_MAX_BYTES)

    def __call__(self, cmd: EditCommand) -> AgentContextResult:
        notes = agent_context.notes(cmd.notes)
        if cmd.action is ContextAction.WRITE and cmd.context is None:
            raise ValidationError("issue", "write needs the issue's id and title")
        if cmd.action is ContextAction.APPEND and not notes.strip():
            raise ValidationError("notes", "nothing to append: give the notes on stdin")
        if not self._files.is_workspace(cmd.account, cmd.workspace):
            raise WorkspaceMissing(f"{cmd.workspace} is not a git workspace (no .git in it)")
        path = cmd.workspace / agent_context.FILENAME
        existing = self._files.read(cmd.account, path)
        if cmd.action is ContextAction.CLEAR:
            text = None if existing is None else agent_context.clear(existing)
        elif cmd.action is ContextAction.APPEND:
            text = agent_context.append(existing, notes)
        else:
            assert cmd.context is not None
            context = cmd.context
            if context.review is None:  # keep the review the block has
                context = attrs.evolve(context, review=agent_context.review_in(existing))
            block = agent_context.render(context, notes, max_bytes=self._max_bytes)
            text = agent_context.write(existing, block)
        changed = text is not None and text != existing
        if changed:
            assert text is not None
            self._files.write(cmd.account, path, text)
        return AgentContextResult(path=str(path), changed=changed, issue=cmd.context)


@attrs.frozen(kw_only=True)
class PopulateCommand:
    issue_id: int
    notes: str = ""
    user_email: str | None = None  # whose workspace; None: the actor's own
    actor: Actor = SYSTEM
    # A worktree of the user's of the issue's project to write in (see worktrees.py); None:
    # the main workspace. Any other folder is refused. In a worktree, the block tells the
    # agent its branch and how to commit (agent_context.instructions).
    worktree: str | None = None
    # What the pull request's reviewers asked (review comments, failing checks: untrusted
    # text). None keeps the review section the block has; "" drops it.
    review: str | None = None


def workspace_account(
    user: User, policy: WorkspacePolicy, linux_users: LinuxUsers
) -> LinuxAccount | None:
    """The Linux account the user's workspaces belong to, as the workspace use cases find it;
    None (aiops's own account) for a user without one."""
    name = policy.account_for(user)
    return linux_users.lookup(name) if name else None


@attrs.frozen(kw_only=True)
class _Target:
    user: User
    project: Project
    tenant_slug: str
    context: IssueContext


class PopulateAgentContext:
    """Write an issue's context into a user's workspace of the issue's project, as the user's
    Linux account. The workspace must exist already; the actor must be the user (or an admin
    or the system) and may use the project. Another tenant's issue does not exist for the
    actor."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        files: AgentContextFiles,
        policy: WorkspacePolicy,
        linux_users: LinuxUsers,
        clock: Clock,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._uow = uow
        self._edit = EditAgentContext(files=files, max_bytes=max_bytes)
        self._files = files
        self._policy = policy
        self._users = linux_users
        self._clock = clock

    def __call__(self, cmd: PopulateCommand) -> AgentContextResult:
        target = self._allowed(cmd)
        workspace, account = self._workspace(target.user, target.project, cmd.worktree)
        context = attrs.evolve(
            target.context, review=cmd.review, branch=self._branch(target, cmd.worktree)
        )
        result = self._edit(
            EditCommand(
                workspace=workspace,
                action=ContextAction.WRITE,
                context=context,
                notes=cmd.notes,
                account=account,
            )
        )
        with self._uow() as uow:
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="agent_context.written",
                target=f"issue:{cmd.issue_id}",
                tenant=target.tenant_slug,
                user=target.user.email,
                path=result.path,
            )
            uow.commit()
        return result

    def _allowed(self, cmd: PopulateCommand) -> _Target:
        """The issue's context and whose workspace of which project gets it, once the actor
        may use the issue's project as that user."""
        missing = f"issue {cmd.issue_id} does not exist"
        with self._uow(read_only=True) as uow:
            issue = _visible(uow, uow.issues.get(cmd.issue_id), cmd.actor)
            project = uow.projects.get(issue.project_id) if issue else None
            tenant = uow.tenants.get(project.tenant_id) if project else None
            if issue is None or project is None or tenant is None:
                raise NotFound(missing)
            cmd.actor.require(Permission.USE, tenant, missing)
            user = require_user(uow, cmd.user_email or cmd.actor.name)
            require_acting_for(cmd.actor, user, "work in your own workspace")
            actor_for(uow, user).require(Permission.USE, tenant, missing)
            context = context_of(issue, _owner(uow, issue))
        return _Target(user=user, project=project, tenant_slug=tenant.slug, context=context)

    def _branch(self, target: _Target, worktree: str | None) -> str | None:
        """The branch of the user's worktree at that path, as aiops recorded it."""
        if worktree is None:
            return None
        with self._uow(read_only=True) as uow:
            mine = uow.worktrees.list(project_id=target.project.id, user_id=target.user.id)
        return next((w.branch for w in mine if w.path == worktree), None)

    def _workspace(
        self, user: User, project: Project, worktree: str | None
    ) -> tuple[Path, LinuxAccount | None]:
        """The user's workspace (or worktree) of the project and its account, once it is
        there."""
        path = self._policy.path_for(user, project.slug)
        if worktree is not None:
            if PurePosixPath(worktree).parent != worktrees_folder(self._policy, user, project.slug):
                raise ValidationError("worktree", f"{worktree} is not a worktree of {user.email}'s")
            path = PurePosixPath(worktree)
        account = workspace_account(user, self._policy, self._users)
        if not self._files.is_workspace(account, Path(path)):
            raise WorkspaceMissing(
                f"{user.email} has no workspace for project {project.slug!r} at {path}: "
                "initialise the workspace first"
            )
        return Path(path), account
