"""Create, update and list projects."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from aiops.domain.errors import Conflict, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.audit import DetailValue
from aiops.domain.model.projects import DEFAULT_BRANCH, CloneFilter, Project
from aiops.domain.model.remotes import RemoteRefused, parse_remote, refusal_for_owners
from aiops.domain.model.tenants import Tenant
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_project
from aiops.domain.usecases.identities import require_identity
from aiops.domain.usecases.tenants import require_tenant
from aiops.ports.clock import Clock
from aiops.ports.remote_hosts import RemoteHosts
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


@attrs.frozen(kw_only=True)
class CreateProjectCommand:
    tenant: str
    slug: str
    name: str
    repo_url: str | None = None
    default_branch: str = DEFAULT_BRANCH
    identity_id: int | None = None
    https_token: str | None = attrs.field(default=None, repr=False)
    clone_filter: str = CloneFilter.NONE.value
    clone_depth: int = 0
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class UpdateProjectCommand:
    """None keeps a field as it is; an empty repo_url removes it; clear_identity removes the
    identity (and may not be combined with an identity_id); clear_https_token removes the
    https token (and may not be combined with an https_token)."""

    project_id: int
    name: str | None = None
    repo_url: str | None = None
    default_branch: str | None = None
    identity_id: int | None = None
    clear_identity: bool = False
    https_token: str | None = attrs.field(default=None, repr=False)
    clear_https_token: bool = False
    clone_filter: str | None = None
    clone_depth: int | None = None
    auto_pull_request: bool | None = None
    auto_review_to_agent: bool | None = None
    actor: Actor = SYSTEM

    def new_identity_id(self, current: int | None) -> int | None:
        if self.clear_identity and self.identity_id is not None:
            raise ValidationError("identity_id", "give an identity or clear it, not both at once")
        if self.clear_identity:
            return None
        return current if self.identity_id is None else self.identity_id


def sealed_token(box: SecretBox, token: str | None) -> str | None:
    """The validated https token sealed for storage (None stays None)."""
    return None if token is None else box.seal(validation.https_token(token))


def token_change(cmd: UpdateProjectCommand) -> str | None:
    """What the command does to the https token: "set", "cleared" or None (keeps it).
    The audit log records this word, never the token."""
    if cmd.clear_https_token and cmd.https_token is not None:
        raise ValidationError("https_token", "give a token or clear it, not both at once")
    if cmd.clear_https_token:
        return "cleared"
    return None if cmd.https_token is None else "set"


def check_remote(url: str | None, actor: Actor, hosts: RemoteHosts) -> None:
    """ValidationError for a remote nobody may set; RemoteRefused for one the actor may not:
    someone who is not a global admin sets https://, ssh:// or user@host:path on a host that
    passes the network check (domain/model/remotes.py). None is no remote."""
    if url is None:
        return
    remote = parse_remote(url)
    if actor.is_admin:
        return
    why = refusal_for_owners(remote) or (hosts.refusal(remote.host) if remote.host else None)
    if why is not None:
        raise RemoteRefused(f"repo_url: {why}")


REMOTE_CREDENTIALS = ("https_token", "identity")


def without_old_credentials(
    before: Project, after: Project, actor: Actor, *, new_token: bool
) -> tuple[Project, tuple[str, ...]]:
    """The project to save, and which of REMOTE_CREDENTIALS a change of its remote cleared.

    When someone who is not a global admin points the project at another remote, the https
    token and SSH identity it had go (an admin gave them for the old remote; kept, an owner
    could send them to a host of their own). A token given with the change is theirs, and
    stays. An admin's change, removing the remote, or keeping it, clears nothing."""
    if actor.is_admin or after.repo_url is None or after.repo_url == before.repo_url:
        return after, ()
    token = before.https_token_sealed is not None and not new_token
    identity = before.identity_id is not None and after.identity_id == before.identity_id
    cleared = tuple(
        name for name, gone in zip(REMOTE_CREDENTIALS, (token, identity), strict=True) if gone
    )
    return attrs.evolve(
        after,
        https_token_sealed=None if token else after.https_token_sealed,
        identity_id=None if identity else after.identity_id,
    ), cleared


@attrs.frozen
class ProjectUpdate:
    """The project as saved, and the remote's credentials the change cleared on its own."""

    project: Project
    cleared: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class ListProjectsQuery:
    tenant: str | None = None
    actor: Actor = SYSTEM


class CreateProject:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_box: SecretBox,
        remote_hosts: RemoteHosts,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._hosts = remote_hosts

    def __call__(self, cmd: CreateProjectCommand) -> Project:
        with self._uow() as uow:
            tenant = require_tenant(uow, cmd.tenant)
            cmd.actor.require(Permission.MANAGE, tenant)
            assert tenant.id is not None
            check_remote(cmd.repo_url or None, cmd.actor, self._hosts)
            project = Project(
                tenant_id=tenant.id,
                slug=cmd.slug,
                name=cmd.name,
                repo_url=cmd.repo_url,
                default_branch=cmd.default_branch,
                identity_id=cmd.identity_id,
                https_token_sealed=sealed_token(self._box, cmd.https_token),
                clone_filter=cmd.clone_filter,
                clone_depth=cmd.clone_depth,
            )
            require_identity(uow, project.identity_id, cmd.actor)
            if uow.projects.get_by_slug(tenant.id, project.slug) is not None:
                raise Conflict(f"project {project.slug!r} already exists in tenant {tenant.slug!r}")
            project = uow.projects.add(project)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="project.created",
                target=f"project:{project.id}",
                tenant=tenant.slug,
                **created_detail(project),
            )
            uow.commit()
        return project


class UpdateProject:
    """Change a project. A new remote is checked (check_remote), and a new remote set by
    someone who is not a global admin clears the old one's credentials
    (without_old_credentials): the result, the audit event and every entrypoint say which."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_box: SecretBox,
        remote_hosts: RemoteHosts,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._hosts = remote_hosts

    def __call__(self, cmd: UpdateProjectCommand) -> ProjectUpdate:
        with self._uow() as uow:
            before, tenant = require_managed_project(uow, cmd.project_id, cmd.actor)
            change = token_change(cmd)
            after = edited(before, cmd, sealed_token(self._box, cmd.https_token))
            if after.repo_url != before.repo_url:
                check_remote(after.repo_url, cmd.actor, self._hosts)
            after, cleared = without_old_credentials(
                before, after, cmd.actor, new_token=change == "set"
            )
            if after == before:
                return ProjectUpdate(before)
            require_identity(uow, after.identity_id, cmd.actor, before.identity_id)
            after = uow.projects.update(after)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="project.updated",
                target=f"project:{after.id}",
                tenant=tenant.slug,
                **updated_detail(after, change, cleared),
            )
            uow.commit()
        return ProjectUpdate(after, cleared)


def edited(before: Project, cmd: UpdateProjectCommand, sealed: str | None) -> Project:
    """`before` with the command's changes; `sealed` is the command's https token, sealed."""
    return attrs.evolve(
        before,
        name=before.name if cmd.name is None else cmd.name,
        repo_url=before.repo_url if cmd.repo_url is None else cmd.repo_url,
        default_branch=before.default_branch if cmd.default_branch is None else cmd.default_branch,
        identity_id=cmd.new_identity_id(before.identity_id),
        https_token_sealed=before.https_token_sealed if token_change(cmd) is None else sealed,
        clone_filter=before.clone_filter if cmd.clone_filter is None else cmd.clone_filter,
        clone_depth=before.clone_depth if cmd.clone_depth is None else cmd.clone_depth,
        auto_pull_request=_kept(before.auto_pull_request, cmd.auto_pull_request),
        auto_review_to_agent=_kept(before.auto_review_to_agent, cmd.auto_review_to_agent),
    )


def _kept(before: bool, wanted: bool | None) -> bool:
    return before if wanted is None else wanted


def created_detail(project: Project) -> dict[str, DetailValue]:
    """What the audit event of a new project says: whether it has a token, never the token."""
    return {
        "slug": project.slug,
        "name": project.name,
        "repo_url": project.repo_url,
        "identity_id": project.identity_id,
        "clone_filter": project.clone_filter.value,
        "clone_depth": project.clone_depth,
        **({"https_token": "set"} if project.https_token_sealed else {}),
    }


def updated_detail(
    after: Project, change: str | None, cleared: tuple[str, ...]
) -> dict[str, DetailValue]:
    """What the audit event of a change says: the token's change ("set" or "cleared", also
    when a new remote cleared it), and which credentials the new remote cleared."""
    if "https_token" in cleared:
        change = "cleared"
    return {
        "name": after.name,
        "repo_url": after.repo_url,
        "default_branch": after.default_branch,
        "identity_id": after.identity_id,
        "clone_filter": after.clone_filter.value,
        "clone_depth": after.clone_depth,
        "auto_pull_request": after.auto_pull_request,
        "auto_review_to_agent": after.auto_review_to_agent,
        **({} if change is None else {"https_token": change}),
        **({"cleared": ",".join(cleared)} if cleared else {}),
    }


def require_managed_project(
    uow: UnitOfWork, project_id: int, actor: Actor
) -> tuple[Project, Tenant]:
    """The project and its tenant, when the actor may manage them (NotFound when they may
    not see them, PermissionDenied when they only may)."""
    project, tenant = require_project(uow, project_id, actor)
    actor.require(Permission.MANAGE, tenant, f"project {project_id} does not exist")
    return project, tenant


class GetProject:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, project_id: int, actor: Actor = SYSTEM) -> Project:
        with self._uow(read_only=True) as uow:
            return require_project(uow, project_id, actor)[0]


class ListProjects:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, query: ListProjectsQuery) -> Sequence[Project]:
        with self._uow(read_only=True) as uow:
            if query.tenant is None:
                projects = uow.projects.list()
            else:
                tenant = require_tenant(uow, query.tenant)
                query.actor.require(Permission.VIEW, tenant)
                projects = uow.projects.list(tenant.id)
            return [p for p in projects if query.actor.may(Permission.VIEW, p.tenant_id)]
