"""The unit of work and its repositories.

A unit of work is one transaction: entering it opens a session, `commit()` makes the
changes durable, and leaving the block without a commit rolls everything back.
Repositories never commit.

A unit of work is opened knowing whether it writes: a read-only one may not write (the
database refuses), and a writing one takes the write lock when it begins, so that it waits its
turn instead of failing half-way when it could not upgrade a read (SQLite). Either way it is
short: no network, git or tmux call happens inside one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

import attrs

from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.auth import ApiToken
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.projects import Project
from aiops.domain.model.sign_ins import SignInLink, UserIdentity
from aiops.domain.model.tenants import Membership, Tenant
from aiops.domain.model.trackers import Issue, SyncRun, TrackerConnection, Triage
from aiops.domain.model.users import User

if TYPE_CHECKING:  # in annotations only: a unit of work that reads tenants loads no job or run
    from aiops.domain.model.pull_requests import LoopStep, PullRequest, PullState
    from aiops.domain.model.sessions import AgentEvent, AgentSession
    from aiops.domain.model.worktrees import Worktree
    from aiops.ports.automation import AutomationRunRepository
    from aiops.ports.jobs import JobRepository
    from aiops.ports.notifications import DeliveryQueue, NotificationTargetRepository


class TenantRepository(Protocol):
    def add(self, tenant: Tenant) -> Tenant: ...
    def update(self, tenant: Tenant) -> Tenant: ...
    def get(self, tenant_id: int) -> Tenant | None: ...
    def get_by_slug(self, slug: str) -> Tenant | None: ...
    def list(self) -> Sequence[Tenant]: ...


class UserRepository(Protocol):
    def add(self, user: User) -> User: ...
    def update(self, user: User) -> User:
        """Store every field but `session_generation` (only revoke_sessions moves it); the
        user as stored."""
        ...

    def revoke_sessions(self, user_id: int) -> int:
        """Move the user's session generation on (atomically); the new one."""
        ...

    def get(self, user_id: int) -> User | None: ...
    def get_by_email(self, email: str) -> User | None: ...
    def get_by_username(self, username: str) -> User | None: ...
    def list(self) -> Sequence[User]: ...


class MembershipRepository(Protocol):
    def add(self, membership: Membership) -> Membership: ...
    def update(self, membership: Membership) -> Membership: ...
    def get(self, user_id: int, tenant_id: int) -> Membership | None: ...
    def remove(self, user_id: int, tenant_id: int) -> None: ...
    def list_for_tenant(self, tenant_id: int) -> Sequence[Membership]: ...
    def list_for_user(self, user_id: int) -> Sequence[Membership]: ...


class UserIdentityRepository(Protocol):
    """Users' accounts at OpenID Connect providers (issue 20)."""

    def add(self, identity: UserIdentity) -> UserIdentity:
        """Conflict when the provider's subject is linked already."""
        ...

    def update(self, identity: UserIdentity) -> UserIdentity: ...
    def get_by_subject(self, provider: str, subject: str) -> UserIdentity | None: ...
    def list_for_user(self, user_id: int) -> Sequence[UserIdentity]: ...
    def last_sign_ins(self) -> Mapping[str, datetime]:
        """The latest sign-in through each provider (providers never used are left out)."""
        ...


class SignInLinkRepository(Protocol):
    def add(self, link: SignInLink) -> SignInLink: ...
    def get_by_digest(self, digest: str) -> SignInLink | None: ...
    def use(self, link_id: int, at: datetime) -> bool:
        """Mark the link used at `at` unless it was already (one statement: of two concurrent
        uses, one wins); whether this call did."""
        ...


class ProjectRepository(Protocol):
    def add(self, project: Project) -> Project: ...
    def update(self, project: Project) -> Project: ...
    def get(self, project_id: int) -> Project | None: ...
    def get_by_slug(self, tenant_id: int, slug: str) -> Project | None: ...
    def list(self, tenant_id: int | None = None) -> Sequence[Project]: ...
    def tenant_ids(self) -> Mapping[int, int]:
        """Each project's tenant id by project id: what access checks need, without the rest
        of every project."""
        ...


class IdentityRepository(Protocol):
    def add(self, identity: SshIdentity) -> SshIdentity: ...
    def update(self, identity: SshIdentity) -> SshIdentity: ...
    def get(self, identity_id: int) -> SshIdentity | None: ...
    def get_by_name(self, name: str) -> SshIdentity | None: ...
    def list(self) -> Sequence[SshIdentity]: ...


@attrs.frozen
class AuditQuery:
    actor: str | None = None
    tenant: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> AuditEvent: ...
    def list(self, query: AuditQuery) -> Sequence[AuditEvent]:
        """Newest first."""
        ...

    def latest_id(self) -> int:
        """The newest event's id (0 when there is none). Every state change records an event
        in its own transaction, so this is also a version number for all recorded data."""
        ...


class ApiTokenRepository(Protocol):
    def add(self, token: ApiToken) -> ApiToken: ...
    def update(self, token: ApiToken) -> ApiToken: ...
    def touch(self, token_id: int, at: datetime, stale_before: datetime) -> None:
        """Set `last_used_at` to `at` unless it is already `stale_before` or later: one
        statement, so that concurrent requests with one token write it once."""
        ...

    def get(self, token_id: int) -> ApiToken | None: ...
    def get_by_hash(self, token_hash: str) -> ApiToken | None: ...
    def list_for_user(self, user_id: int) -> Sequence[ApiToken]: ...


class LoginFailureLog(Protocol):
    """Failed sign-ins by key ("email:..." or "address:..."), for throttling."""

    def add(self, key: str, at: datetime) -> None: ...
    def count_since(self, key: str, since: datetime) -> int: ...
    def clear(self, key: str) -> None: ...


@attrs.frozen
class IssueQuery:
    """Filters (all optional, combined with AND), an order and a page."""

    project_ids: Sequence[int] | None = None  # None: every project
    provider: str | None = None
    state: str | None = None
    label: str | None = None
    assignee: str | None = None
    severity: str | None = None
    triage_status: str | None = None
    text: str | None = None  # in the title, or the number ("#12", "OPS-7")
    incident_labels: Sequence[str] | None = None  # set: only incidents (these labels or a severity)
    sort: str = "updated"  # updated | created | severity | number
    limit: int = 100
    offset: int = 0


class TrackerConnectionRepository(Protocol):
    def add(self, connection: TrackerConnection) -> TrackerConnection: ...
    def update(self, connection: TrackerConnection) -> TrackerConnection: ...
    def get(self, connection_id: int) -> TrackerConnection | None: ...
    def list(self, project_id: int | None = None) -> Sequence[TrackerConnection]: ...
    def remove(self, connection_id: int) -> None:
        """The connection, its issues, its sync runs and its webhook deliveries."""
        ...


class IssueRepository(Protocol):
    def for_connection(
        self, connection_id: int, external_ids: Collection[str] | None = None
    ) -> Mapping[str, Issue]:
        """A connection's issues by external id: every one, or only those named."""
        ...

    def add_many(self, issues: Sequence[Issue]) -> None: ...

    def update_remote_many(self, issues: Sequence[Issue]) -> None:
        """Write what the tracker says (the `remote` part) of issues that have ids; their
        triage is never touched."""
        ...

    def list(self, query: IssueQuery) -> Sequence[Issue]:
        """One page, in the query's order (newest update first by default)."""
        ...

    def count(self, query: IssueQuery) -> int:
        """How many issues match (every page)."""
        ...

    def get(self, issue_id: int) -> Issue | None: ...

    def set_triage(self, issue_id: int, triage: Triage) -> None: ...

    def incident_counts(
        self,
        project_ids: Sequence[int],
        incident_labels: Sequence[str],
        tenant_ids: Sequence[int] | None = None,
    ) -> Mapping[int, int]:
        """Open incidents by project (projects without any are left out), only in the given
        tenants when `tenant_ids` is set."""
        ...


class SyncRunLog(Protocol):
    def add(self, run: SyncRun) -> SyncRun: ...
    def list(self, connection_id: int, limit: int = 20) -> Sequence[SyncRun]:
        """Newest first."""
        ...


class WebhookDeliveryLog(Protocol):
    """The deliveries each connection's webhook has received, by the tracker's delivery id
    and by their body's digest."""

    def add(
        self,
        connection_id: int,
        delivery_id: str,
        received_at: datetime,
        *,
        body_sha256: str | None = None,
    ) -> bool:
        """Record a delivery: False, and nothing written, when one with the same delivery id
        or the same body digest was recorded before."""
        ...

    def forget_before(self, connection_id: int, moment: datetime) -> int:
        """Drop a connection's deliveries received before `moment`; how many went."""
        ...


@attrs.frozen
class SessionChanges:
    """What AgentSessionRepository.changes_marker reads; compared whole, never interpreted."""

    last_event_id: int = 0  # the newest agent event's id
    last_session_id: int = 0  # the newest live session's id
    by_status: tuple[int, ...] = ()  # how many live sessions have each status
    shared: int = 0  # how many live sessions are shared
    last_status_since: datetime | None = None  # the latest status change of a live session


class AgentSessionRepository(Protocol):
    def add(self, session: AgentSession) -> AgentSession: ...
    def update(self, session: AgentSession) -> AgentSession: ...
    def get(self, session_id: int) -> AgentSession | None: ...
    def delete(self, session_id: int) -> None:
        """Forget a record (and its events): a launch that only focused a running window."""
        ...

    def list(
        self,
        *,
        project_id: int | None = None,
        user_id: int | None = None,
        live: bool = False,
    ) -> Sequence[AgentSession]:
        """Oldest first; `live`: only those not exited."""
        ...

    def changes_marker(self) -> SessionChanges:
        """A cheap mark of the sessions' state (one small query): it moves whenever a
        session starts, ends, changes status or is shared, and when an agent event is stored.
        Live pages poll it and read the sessions only when it moved."""
        ...


class AgentEventRepository(Protocol):
    """Every status a session went through (issue 18)."""

    def add(self, event: AgentEvent) -> bool:
        """Record an event: False, and nothing written, when the session has an event with the
        same event_id already (a replay). Events without an id (the pane's) always go in."""
        ...

    def seen(self, keys: Collection[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of these (session id, event id) pairs are stored already (one query)."""
        ...

    def add_many(self, events: Sequence[AgentEvent]) -> bool:
        """Record a batch at once (all or nothing): False, and nothing written, when one of
        them has an event_id its session has already (another server stored it meanwhile)."""
        ...

    def list(self, session_id: int, limit: int = 100) -> Sequence[AgentEvent]:
        """Newest first."""
        ...


class WorktreeRepository(Protocol):
    def add(self, worktree: Worktree) -> Worktree:
        """Conflict when the user has a worktree of the project on that branch or path."""
        ...

    def get(self, worktree_id: int) -> Worktree | None: ...
    def delete(self, worktree_id: int) -> None: ...
    def list(
        self, *, project_id: int | None = None, user_id: int | None = None
    ) -> Sequence[Worktree]:
        """Oldest first."""
        ...


class PullRequestRepository(Protocol):
    def add(self, pull: PullRequest) -> PullRequest:
        """Conflict when the connection has a record of that number already."""
        ...

    def update(self, pull: PullRequest) -> PullRequest: ...
    def get(self, pull_request_id: int) -> PullRequest | None: ...
    def get_by_number(self, connection_id: int, number: int) -> PullRequest | None: ...
    def list(
        self,
        *,
        project_id: int | None = None,
        issue_id: int | None = None,
        connection_id: int | None = None,
        states: Collection[PullState] | None = None,
    ) -> Sequence[PullRequest]:
        """Newest first."""
        ...


class LoopStepQueue(Protocol):
    def add(self, step: LoopStep) -> LoopStep:
        """The step queued; when a step with its key exists already, that one, unchanged (a
        retried request never queues a second step)."""
        ...

    def update(self, step: LoopStep) -> LoopStep: ...
    def get(self, step_id: int) -> LoopStep | None: ...
    def get_by_key(self, key: str) -> LoopStep | None: ...
    def due(self, now: datetime, limit: int = 20) -> Sequence[LoopStep]:
        """Pending steps whose next_attempt_at has come, oldest first."""
        ...

    def list(
        self, *, issue_id: int | None = None, pull_request_id: int | None = None
    ) -> Sequence[LoopStep]:
        """Newest first."""
        ...


@attrs.frozen
class SealedSecret:
    """One sealed value in storage: what it is (e.g. "tracker token"), whose, and the sealed
    text. Never the plaintext."""

    kind: str
    owner_id: int
    sealed: str = attrs.field(repr=False)

    def __str__(self) -> str:
        return f"{self.kind} {self.owner_id}"


class SealedSecretStore(Protocol):
    """Every sealed secret, wherever it is stored, and the key probe: a constant sealed under
    the current secret key, which tells a wrong key from the right one before anything else
    is opened."""

    def probe(self) -> str | None: ...
    def set_probe(self, sealed: str) -> None: ...
    def all(self) -> Sequence[SealedSecret]: ...
    def replace(self, secret: SealedSecret, sealed: str) -> None:
        """Store `sealed` in the place `secret` came from."""
        ...


class StorageBusy(Exception):
    """The store's write lock could not be had in time: the unit of work wrote nothing, and
    the same work may be tried again."""


class UnitOfWork(Protocol):
    tenants: TenantRepository
    users: UserRepository
    memberships: MembershipRepository
    projects: ProjectRepository
    identities: IdentityRepository
    audit: AuditLog
    api_tokens: ApiTokenRepository
    login_failures: LoginFailureLog
    trackers: TrackerConnectionRepository
    issues: IssueRepository
    sync_runs: SyncRunLog
    webhook_deliveries: WebhookDeliveryLog
    sealed_secrets: SealedSecretStore
    agent_sessions: AgentSessionRepository
    agent_events: AgentEventRepository
    jobs: JobRepository
    automation_runs: AutomationRunRepository
    worktrees: WorktreeRepository
    notification_targets: NotificationTargetRepository
    notice_deliveries: DeliveryQueue
    pull_requests: PullRequestRepository
    loop_steps: LoopStepQueue
    user_identities: UserIdentityRepository
    sign_in_links: SignInLinkRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A fresh unit of work; `read_only`: one that will not write (lists, pages, GETs)."""
        ...
