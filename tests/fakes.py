"""In-memory fakes of the ports. They implement the same Protocols as the adapters, keep the
same uniqueness rules, and record effects so tests assert on state, never on call order."""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import attrs

from aiops.adapters import system_accounts
from aiops.domain.errors import (
    AccountRefused,
    Conflict,
    NotFound,
    SecretUnreadable,
    ValidationError,
)
from aiops.domain.model import network
from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.auth import ApiToken
from aiops.domain.model.automation import AutomationRun, Playbook, RunEvent, RunStatus
from aiops.domain.model.credentials import CredentialsRefused, fingerprint
from aiops.domain.model.identities import KeyRefused, SshIdentity
from aiops.domain.model.jobs import Job, JobOutcome
from aiops.domain.model.playbook_vars import VarType
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import AgentSession, AgentStatus, SessionRefused, Tool
from aiops.domain.model.tenants import Membership, Tenant
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    RemoteIssue,
    SyncRun,
    TrackerAuthFailed,
    TrackerConnection,
    Triage,
)
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import (
    Branches,
    BranchExists,
    BranchMissing,
    Commit,
    DirtyWorkTree,
    MergeConflict,
    MergeKind,
    MergeOutcome,
    PushOutcome,
    PushRejected,
    RemoteAccess,
    RemoteFailed,
    UnsafeWorkspace,
    WorkspaceExists,
    WorkspaceMissing,
    WorkspaceStatus,
)
from aiops.ports.agent_context_files import AgentContextFiles
from aiops.ports.automation import PlaybookLaunch, RunListener, RunOutcome
from aiops.ports.cli_installer import CliToolStatus, InstallResult
from aiops.ports.credentials import CredentialInfo
from aiops.ports.git_workspaces import GitWorkspaces, WorkTree
from aiops.ports.issue_tracker import IssueChanges, TrackerTarget
from aiops.ports.key_store import ImportedKey
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import Launched, TmuxListing, TmuxServer, TmuxWindow, WindowSpec
from aiops.ports.unit_of_work import AuditQuery, IssueQuery, SealedSecret


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakePasswordHasher:
    """Deterministic and fast; never stores the password itself."""

    def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class FakeSecretBox:
    """Reversible and plainly not the plaintext: "sealed:" + base64. Records what it sealed.
    Another `key` gives another prefix: a box opens only what a box with its key sealed."""

    def __init__(self, key: str = "") -> None:
        self.PREFIX = f"sealed{key}:"
        self.sealed: list[str] = []

    def seal(self, plaintext: str) -> str:
        sealed = self.PREFIX + base64.b64encode(plaintext.encode()).decode()
        self.sealed.append(sealed)
        return sealed

    def open(self, sealed: str) -> str:
        if not sealed.startswith(self.PREFIX):
            raise SecretUnreadable("a stored secret cannot be read; set it again")
        try:
            return base64.b64decode(sealed.removeprefix(self.PREFIX), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise SecretUnreadable("a stored secret cannot be read; set it again") from None


@attrs.define
class State:
    """Everything a FakeUnitOfWork stores; entities are frozen, so copying the dicts suffices."""

    tenants: dict[int, Tenant] = attrs.field(factory=dict)
    users: dict[int, User] = attrs.field(factory=dict)
    memberships: dict[tuple[int, int], Membership] = attrs.field(factory=dict)
    projects: dict[int, Project] = attrs.field(factory=dict)
    identities: dict[int, SshIdentity] = attrs.field(factory=dict)
    audit: list[AuditEvent] = attrs.field(factory=list)
    api_tokens: dict[int, ApiToken] = attrs.field(factory=dict)
    login_failures: list[tuple[str, datetime]] = attrs.field(factory=list)
    trackers: dict[int, TrackerConnection] = attrs.field(factory=dict)
    issues: dict[int, Issue] = attrs.field(factory=dict)
    sync_runs: list[SyncRun] = attrs.field(factory=list)
    webhook_deliveries: dict[tuple[int, str], datetime] = attrs.field(factory=dict)
    webhook_bodies: dict[tuple[int, str], datetime] = attrs.field(factory=dict)  # body digests
    secret_probe: str | None = None
    agent_sessions: dict[int, AgentSession] = attrs.field(factory=dict)
    jobs: dict[int, Job] = attrs.field(factory=dict)
    automation_runs: dict[int, AutomationRun] = attrs.field(factory=dict)
    run_events: dict[tuple[int, int], RunEvent] = attrs.field(factory=dict)
    next_id: int = 1

    def copy(self) -> State:
        return State(
            tenants=dict(self.tenants),
            users=dict(self.users),
            memberships=dict(self.memberships),
            projects=dict(self.projects),
            identities=dict(self.identities),
            audit=list(self.audit),
            api_tokens=dict(self.api_tokens),
            login_failures=list(self.login_failures),
            trackers=dict(self.trackers),
            issues=dict(self.issues),
            sync_runs=list(self.sync_runs),
            webhook_deliveries=dict(self.webhook_deliveries),
            webhook_bodies=dict(self.webhook_bodies),
            secret_probe=self.secret_probe,
            agent_sessions=dict(self.agent_sessions),
            jobs=dict(self.jobs),
            automation_runs=dict(self.automation_runs),
            run_events=dict(self.run_events),
            next_id=self.next_id,
        )

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Repo:
    def __init__(self, state: State) -> None:
        self._s = state


class FakeTenantRepository(_Repo):
    def add(self, tenant: Tenant) -> Tenant:
        if self.get_by_slug(tenant.slug):
            raise Conflict("tenant conflicts with existing data")
        tenant = attrs.evolve(tenant, id=self._s.new_id())
        self._s.tenants[tenant.id] = tenant  # type: ignore[index]
        return tenant

    def update(self, tenant: Tenant) -> Tenant:
        if tenant.id not in self._s.tenants:
            raise NotFound(f"tenant {tenant.id} does not exist")
        self._s.tenants[tenant.id] = tenant
        return tenant

    def get(self, tenant_id: int) -> Tenant | None:
        return self._s.tenants.get(tenant_id)

    def get_by_slug(self, slug: str) -> Tenant | None:
        return next((t for t in self._s.tenants.values() if t.slug == slug), None)

    def list(self) -> Sequence[Tenant]:
        return sorted(self._s.tenants.values(), key=lambda t: t.id or 0)


class FakeUserRepository(_Repo):
    def add(self, user: User) -> User:
        if self.get_by_email(user.email) or self.get_by_username(user.username):
            raise Conflict("user conflicts with existing data")
        user = attrs.evolve(user, id=self._s.new_id())
        self._s.users[user.id] = user  # type: ignore[index]
        return user

    def update(self, user: User) -> User:
        stored = self._s.users.get(user.id)  # type: ignore[arg-type]
        if stored is None:
            raise NotFound(f"user {user.id} does not exist")
        user = attrs.evolve(user, session_generation=stored.session_generation)
        self._s.users[user.id] = user  # type: ignore[index]
        return user

    def revoke_sessions(self, user_id: int) -> int:
        stored = self._s.users.get(user_id)
        if stored is None:
            raise NotFound(f"user {user_id} does not exist")
        generation = stored.session_generation + 1
        self._s.users[user_id] = attrs.evolve(stored, session_generation=generation)
        return generation

    def get(self, user_id: int) -> User | None:
        return self._s.users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        return next((u for u in self._s.users.values() if u.email == email), None)

    def get_by_username(self, username: str) -> User | None:
        return next((u for u in self._s.users.values() if u.username == username), None)

    def list(self) -> Sequence[User]:
        return sorted(self._s.users.values(), key=lambda u: u.id or 0)


class FakeMembershipRepository(_Repo):
    def add(self, membership: Membership) -> Membership:
        key = (membership.user_id, membership.tenant_id)
        unknown = membership.user_id not in self._s.users
        if key in self._s.memberships or unknown or membership.tenant_id not in self._s.tenants:
            raise Conflict("membership conflicts with existing data")
        self._s.memberships[key] = membership
        return membership

    def update(self, membership: Membership) -> Membership:
        key = (membership.user_id, membership.tenant_id)
        if key not in self._s.memberships:
            raise NotFound("membership does not exist")
        self._s.memberships[key] = membership
        return membership

    def get(self, user_id: int, tenant_id: int) -> Membership | None:
        return self._s.memberships.get((user_id, tenant_id))

    def list_for_tenant(self, tenant_id: int) -> Sequence[Membership]:
        found = [m for m in self._s.memberships.values() if m.tenant_id == tenant_id]
        return sorted(found, key=lambda m: m.user_id)

    def list_for_user(self, user_id: int) -> Sequence[Membership]:
        found = [m for m in self._s.memberships.values() if m.user_id == user_id]
        return sorted(found, key=lambda m: m.tenant_id)


class FakeProjectRepository(_Repo):
    def add(self, project: Project) -> Project:
        if (
            self.get_by_slug(project.tenant_id, project.slug)
            or project.tenant_id not in self._s.tenants
            or project.identity_id not in (None, *self._s.identities)
        ):
            raise Conflict("project conflicts with existing data")
        project = attrs.evolve(project, id=self._s.new_id())
        self._s.projects[project.id] = project  # type: ignore[index]
        return project

    def update(self, project: Project) -> Project:
        if project.id not in self._s.projects:
            raise NotFound(f"project {project.id} does not exist")
        if project.identity_id not in (None, *self._s.identities):
            raise Conflict("project conflicts with existing data")
        self._s.projects[project.id] = project
        return project

    def get(self, project_id: int) -> Project | None:
        return self._s.projects.get(project_id)

    def get_by_slug(self, tenant_id: int, slug: str) -> Project | None:
        return next(
            (p for p in self._s.projects.values() if p.tenant_id == tenant_id and p.slug == slug),
            None,
        )

    def list(self, tenant_id: int | None = None) -> Sequence[Project]:
        found = [p for p in self._s.projects.values() if tenant_id in (None, p.tenant_id)]
        return sorted(found, key=lambda p: p.id or 0)


class FakeIdentityRepository(_Repo):
    def add(self, identity: SshIdentity) -> SshIdentity:
        if self.get_by_name(identity.name) or identity.owner_id not in (None, *self._s.users):
            raise Conflict("identity conflicts with existing data")
        identity = attrs.evolve(identity, id=self._s.new_id())
        self._s.identities[identity.id] = identity  # type: ignore[index]
        return identity

    def update(self, identity: SshIdentity) -> SshIdentity:
        if identity.id not in self._s.identities:
            raise NotFound(f"identity {identity.id} does not exist")
        self._s.identities[identity.id] = identity
        return identity

    def get(self, identity_id: int) -> SshIdentity | None:
        return self._s.identities.get(identity_id)

    def get_by_name(self, name: str) -> SshIdentity | None:
        return next((i for i in self._s.identities.values() if i.name == name), None)

    def list(self) -> Sequence[SshIdentity]:
        return sorted(self._s.identities.values(), key=lambda i: i.id or 0)


class FakeTrackerConnectionRepository(_Repo):
    def add(self, connection: TrackerConnection) -> TrackerConnection:
        connection = attrs.evolve(connection, id=self._s.new_id())
        self._s.trackers[connection.id] = connection  # type: ignore[index]
        return connection

    def update(self, connection: TrackerConnection) -> TrackerConnection:
        if connection.id not in self._s.trackers:
            raise NotFound(f"tracker connection {connection.id} does not exist")
        self._s.trackers[connection.id] = connection
        return connection

    def get(self, connection_id: int) -> TrackerConnection | None:
        return self._s.trackers.get(connection_id)

    def list(self, project_id: int | None = None) -> Sequence[TrackerConnection]:
        found = [c for c in self._s.trackers.values() if project_id in (None, c.project_id)]
        return sorted(found, key=lambda c: c.id or 0)

    def remove(self, connection_id: int) -> None:
        self._s.trackers.pop(connection_id, None)
        for issue_id in [i for i, x in self._s.issues.items() if x.connection_id == connection_id]:
            del self._s.issues[issue_id]
        self._s.sync_runs[:] = [r for r in self._s.sync_runs if r.connection_id != connection_id]
        for seen in (self._s.webhook_deliveries, self._s.webhook_bodies):
            for key in [k for k in seen if k[0] == connection_id]:
                del seen[key]


class FakeIssueRepository(_Repo):
    def for_connection(
        self, connection_id: int, external_ids: Collection[str] | None = None
    ) -> Mapping[str, Issue]:
        return {
            i.remote.external_id: i
            for i in self._s.issues.values()
            if i.connection_id == connection_id
            and (external_ids is None or i.remote.external_id in external_ids)
        }

    def add_many(self, issues: Sequence[Issue]) -> None:
        for issue in issues:
            if issue.remote.external_id in self.for_connection(issue.connection_id):
                raise Conflict("issue conflicts with existing data")
            stored = attrs.evolve(issue, id=self._s.new_id())
            self._s.issues[stored.id] = stored  # type: ignore[index]

    def update_remote_many(self, issues: Sequence[Issue]) -> None:
        for issue in issues:
            stored = self._s.issues[issue.id]  # type: ignore[index]
            self._s.issues[issue.id] = attrs.evolve(stored, remote=issue.remote)  # type: ignore[index]

    def list(self, query: IssueQuery) -> Sequence[Issue]:
        found = [i for i in self._s.issues.values() if _matches(i, query)]
        orders = {
            "created": lambda i: (i.remote.created_at, i.id or 0),
            "number": lambda i: (i.remote.number, -(i.id or 0)),
        }
        found.sort(
            key=orders.get(query.sort, lambda i: (i.remote.updated_at, i.id or 0)),
            reverse=query.sort != "number",
        )
        if query.sort == "severity":
            found.sort(key=lambda i: (i.triage.severity is None, i.triage.severity or ""))
        return found[query.offset : query.offset + query.limit]

    def count(self, query: IssueQuery) -> int:
        return sum(1 for i in self._s.issues.values() if _matches(i, query))

    def get(self, issue_id: int) -> Issue | None:
        return self._s.issues.get(issue_id)

    def set_triage(self, issue_id: int, triage: Triage) -> None:
        self._s.issues[issue_id] = attrs.evolve(self._s.issues[issue_id], triage=triage)

    def incident_counts(
        self,
        project_ids: Sequence[int],
        incident_labels: Sequence[str],
        tenant_ids: Sequence[int] | None = None,
    ) -> Mapping[int, int]:
        query = IssueQuery(project_ids=project_ids, state="open", incident_labels=incident_labels)
        counts: dict[int, int] = {}
        for issue in self._s.issues.values():
            tenant_id = self._s.projects[issue.project_id].tenant_id
            if _matches(issue, query) and (tenant_ids is None or tenant_id in tenant_ids):
                counts[issue.project_id] = counts.get(issue.project_id, 0) + 1
        return counts


def _matches(issue: Issue, query: IssueQuery) -> bool:
    remote, triage = issue.remote, issue.triage
    text = (query.text or "").lower()
    return (
        (query.project_ids is None or issue.project_id in query.project_ids)
        and query.provider in (None, issue.provider.value)
        and query.state in (None, remote.state.value)
        and (query.label is None or query.label in remote.labels)
        and (query.assignee is None or query.assignee in remote.assignees)
        and query.severity in (None, triage.severity.value if triage.severity else None)
        and query.triage_status in (None, triage.status.value)
        and (not text or text in remote.title.lower() or query.text == remote.number)
        and (
            query.incident_labels is None
            or triage.severity is not None
            or any(label in remote.labels for label in query.incident_labels)
        )
    )


class FakeSyncRunLog(_Repo):
    def add(self, run: SyncRun) -> SyncRun:
        run = attrs.evolve(run, id=self._s.new_id())
        self._s.sync_runs.append(run)
        return run

    def list(self, connection_id: int, limit: int = 20) -> Sequence[SyncRun]:
        runs = [r for r in self._s.sync_runs if r.connection_id == connection_id]
        return sorted(runs, key=lambda r: (r.started_at, r.id or 0), reverse=True)[:limit]


class FakeWebhookDeliveryLog(_Repo):
    def add(
        self,
        connection_id: int,
        delivery_id: str,
        received_at: datetime,
        *,
        body_sha256: str | None = None,
    ) -> bool:
        body = (connection_id, body_sha256 or "")
        if (connection_id, delivery_id) in self._s.webhook_deliveries or (
            body_sha256 is not None and body in self._s.webhook_bodies
        ):
            return False
        self._s.webhook_deliveries[connection_id, delivery_id] = received_at
        if body_sha256 is not None:
            self._s.webhook_bodies[body] = received_at
        return True

    def forget_before(self, connection_id: int, moment: datetime) -> int:
        gone = 0
        for seen in (self._s.webhook_deliveries, self._s.webhook_bodies):
            old = [key for key, at in seen.items() if key[0] == connection_id and at < moment]
            for key in old:
                del seen[key]
            gone += len(old) if seen is self._s.webhook_deliveries else 0
        return gone


class FakeAgentSessionRepository(_Repo):
    def add(self, session: AgentSession) -> AgentSession:
        session = attrs.evolve(session, id=self._s.new_id())
        assert session.id is not None
        self._s.agent_sessions[session.id] = session
        return session

    def update(self, session: AgentSession) -> AgentSession:
        if session.id not in self._s.agent_sessions:
            raise NotFound(f"session {session.id} does not exist")
        self._s.agent_sessions[session.id] = session
        return session

    def get(self, session_id: int) -> AgentSession | None:
        return self._s.agent_sessions.get(session_id)

    def list(
        self,
        *,
        project_id: int | None = None,
        user_id: int | None = None,
        live: bool = False,
    ) -> Sequence[AgentSession]:
        return [
            s
            for _, s in sorted(self._s.agent_sessions.items())
            if (project_id is None or s.project_id == project_id)
            and (user_id is None or s.user_id == user_id)
            and not (live and s.status is AgentStatus.EXITED)
        ]


class FakeJobRepository(_Repo):
    def add(self, job: Job) -> Job:
        if self.get_by_name(job.name):
            raise Conflict("job conflicts with existing data")
        job = attrs.evolve(job, id=self._s.new_id())
        assert job.id is not None
        self._s.jobs[job.id] = job
        return job

    def update(self, job: Job) -> Job:
        current = self._s.jobs.get(job.id or 0)
        if current is None:
            raise NotFound(f"job {job.name!r} does not exist")
        # Like the SQL repository: the definition only, never the lease or the last run.
        self._s.jobs[current.id or 0] = attrs.evolve(
            current,
            name=job.name,
            kind=job.kind,
            schedule=job.schedule,
            params=job.params,
            enabled=job.enabled,
            next_run=job.next_run,
        )
        return job

    def get_by_name(self, name: str) -> Job | None:
        return next((j for j in self._s.jobs.values() if j.name == name), None)

    def list(self) -> Sequence[Job]:
        return sorted(self._s.jobs.values(), key=lambda j: j.name)

    def remove(self, job_id: int) -> None:
        self._s.jobs.pop(job_id, None)


class FakeJobStore:
    """The lease rules of the SQL store over a FakeUnitOfWork's committed jobs, each call one
    atomic step (a lock stands in for the database's)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self._lock = threading.Lock()
        self.finished: list[tuple[str, str, JobOutcome]] = []  # (job, owner, outcome)

    @property
    def _jobs(self) -> dict[int, Job]:
        return self._uow.committed.jobs

    def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> Sequence[Job]:
        with self._lock:
            due = sorted(
                (j for j in self._jobs.values()
                 if j.enabled and j.next_run <= now and not j.leased(now)),
                key=lambda j: (j.next_run, j.id or 0),
            )[:limit]  # fmt: skip
            return [self._lease(job, owner, now + lease) for job in due]

    def claim(self, name: str, owner: str, now: datetime, lease: timedelta) -> Job | None:
        with self._lock:
            job = next((j for j in self._jobs.values() if j.name == name), None)
            if job is None:
                raise NotFound(f"job {name!r} does not exist")
            return None if job.leased(now) else self._lease(job, owner, now + lease)

    def _lease(self, job: Job, owner: str, until: datetime) -> Job:
        leased = attrs.evolve(job, lease_owner=owner, lease_until=until)
        self._jobs[job.id or 0] = leased
        return leased

    def heartbeat(self, job_id: int, owner: str, now: datetime, until: datetime) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.lease_owner != owner or not job.leased(now):
                return False
            self._jobs[job_id] = attrs.evolve(job, lease_until=until)
            return True

    def finish(
        self,
        job_id: int,
        owner: str,
        outcome: JobOutcome,
        next_run: datetime,
        *,
        claimed_next_run: datetime | None = None,
    ) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.lease_owner != owner:
                return False
            requested = claimed_next_run is not None and job.next_run != claimed_next_run
            self._jobs[job_id] = attrs.evolve(
                job,
                lease_owner=None,
                lease_until=None,
                next_run=job.next_run if requested else next_run,
                last_status=outcome.status,
                last_started_at=outcome.started_at,
                last_ended_at=outcome.ended_at,
                last_duration=outcome.duration,
                last_error=outcome.error,
            )
            self.finished.append((job.name, owner, outcome))
            return True

    def release(self, job_id: int, owner: str) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.lease_owner != owner:
                return False
            self._jobs[job_id] = attrs.evolve(job, lease_owner=None, lease_until=None)
            return True


class FakeAutomationRunRepository(_Repo):
    def add(self, run: AutomationRun) -> AutomationRun:
        run = attrs.evolve(run, id=self._s.new_id())
        assert run.id is not None
        self._s.automation_runs[run.id] = run
        return run

    def update(self, run: AutomationRun) -> AutomationRun:
        if run.id not in self._s.automation_runs:
            raise NotFound(f"run {run.id} does not exist")
        self._s.automation_runs[run.id] = run
        return run

    def update_unfinished(self, run: AutomationRun) -> bool:
        stored = self._s.automation_runs.get(run.id or 0)
        if stored is None or stored.status.finished:
            return False
        self._s.automation_runs[stored.id or 0] = run
        return True

    def heartbeat(self, run_id: int, at: datetime) -> bool:
        stored = self._s.automation_runs.get(run_id)
        if stored is None or stored.status.finished:
            return False
        self._s.automation_runs[run_id] = attrs.evolve(stored, runner_seen_at=at)
        return True

    def unfinished(self) -> Sequence[AutomationRun]:
        return [
            run for _, run in sorted(self._s.automation_runs.items()) if not run.status.finished
        ]

    def get(self, run_id: int) -> AutomationRun | None:
        return self._s.automation_runs.get(run_id)

    def list(self, limit: int = 50) -> Sequence[AutomationRun]:
        return [run for _, run in sorted(self._s.automation_runs.items(), reverse=True)][:limit]

    def add_events(self, events: Sequence[RunEvent]) -> None:
        for event in events:
            key = (event.run_id, event.seq)
            if key in self._s.run_events:
                raise Conflict(f"event {event.seq} of run {event.run_id} is stored already")
            self._s.run_events[key] = event

    def events(self, run_id: int, after_seq: int = 0, limit: int = 1000) -> Sequence[RunEvent]:
        found = [
            e
            for (r, seq), e in sorted(self._s.run_events.items())
            if r == run_id and seq > after_seq
        ]
        return found[:limit]


class FakeSealedSecretStore(_Repo):
    def probe(self) -> str | None:
        return self._s.secret_probe

    def set_probe(self, sealed: str) -> None:
        self._s.secret_probe = sealed

    def all(self) -> Sequence[SealedSecret]:
        found = [
            SealedSecret("project https token", p.id, p.https_token_sealed)
            for p in self._s.projects.values()
            if p.id is not None and p.https_token_sealed is not None
        ]
        for c in self._s.trackers.values():
            assert c.id is not None
            found.append(SealedSecret("tracker token", c.id, c.token_sealed))
            if c.webhook_secret_sealed is not None:
                found.append(SealedSecret("tracker webhook secret", c.id, c.webhook_secret_sealed))
        return found

    def replace(self, secret: SealedSecret, sealed: str) -> None:
        if secret.kind == "project https token":
            project = self._s.projects[secret.owner_id]
            self._s.projects[secret.owner_id] = attrs.evolve(project, https_token_sealed=sealed)
            return
        connection = self._s.trackers[secret.owner_id]
        field = "token_sealed" if secret.kind == "tracker token" else "webhook_secret_sealed"
        self._s.trackers[secret.owner_id] = attrs.evolve(connection, **{field: sealed})


class FakeAuditLog(_Repo):
    def latest_id(self) -> int:
        return max((e.id or 0 for e in self._s.audit), default=0)

    def add(self, event: AuditEvent) -> AuditEvent:
        event = attrs.evolve(event, id=self._s.new_id())
        self._s.audit.append(event)
        return event

    def list(self, query: AuditQuery) -> Sequence[AuditEvent]:
        found = [
            e
            for e in self._s.audit
            if query.actor in (None, e.actor)
            and query.tenant in (None, e.tenant)
            and query.action in (None, e.action)
            and (query.since is None or e.at >= query.since)
            and (query.until is None or e.at <= query.until)
        ]
        found.sort(key=lambda e: (e.at, e.id or 0), reverse=True)
        return found[: query.limit]


class FakeApiTokenRepository(_Repo):
    def add(self, token: ApiToken) -> ApiToken:
        if self.get_by_hash(token.token_hash) or token.user_id not in self._s.users:
            raise Conflict("token conflicts with existing data")
        token = attrs.evolve(token, id=self._s.new_id())
        self._s.api_tokens[token.id] = token  # type: ignore[index]
        return token

    def update(self, token: ApiToken) -> ApiToken:
        if token.id not in self._s.api_tokens:
            raise NotFound(f"token {token.id} does not exist")
        self._s.api_tokens[token.id] = token
        return token

    def get(self, token_id: int) -> ApiToken | None:
        return self._s.api_tokens.get(token_id)

    def get_by_hash(self, token_hash: str) -> ApiToken | None:
        return next((t for t in self._s.api_tokens.values() if t.token_hash == token_hash), None)

    def touch(self, token_id: int, at: datetime, stale_before: datetime) -> None:
        token = self._s.api_tokens.get(token_id)
        if token and (token.last_used_at is None or token.last_used_at < stale_before):
            self._s.api_tokens[token_id] = attrs.evolve(token, last_used_at=at)

    def list_for_user(self, user_id: int) -> Sequence[ApiToken]:
        found = [t for t in self._s.api_tokens.values() if t.user_id == user_id]
        return sorted(found, key=lambda t: t.id or 0)


class FakeLoginFailureLog(_Repo):
    def add(self, key: str, at: datetime) -> None:
        self._s.login_failures.append((key, at))

    def count_since(self, key: str, since: datetime) -> int:
        return sum(1 for k, at in self._s.login_failures if k == key and at >= since)

    def clear(self, key: str) -> None:
        self._s.login_failures[:] = [(k, at) for k, at in self._s.login_failures if k != key]


class FakeUnitOfWork:
    """Works on a copy of the committed state; commit() publishes it, leaving discards it.
    Enter it as often as you like: each `with` block is one transaction. It is its own
    factory (a UnitOfWorkFactory): one opened `read_only` refuses to commit."""

    def __init__(self, state: State | None = None) -> None:
        self.committed = state or State()
        self.commits = 0
        self._work: State | None = None
        self._read_only = False

    def __call__(self, *, read_only: bool = False) -> Self:
        self._read_only = read_only
        return self

    def __enter__(self) -> Self:
        self._work = self.committed.copy()
        self.tenants = FakeTenantRepository(self._work)
        self.users = FakeUserRepository(self._work)
        self.memberships = FakeMembershipRepository(self._work)
        self.projects = FakeProjectRepository(self._work)
        self.identities = FakeIdentityRepository(self._work)
        self.trackers = FakeTrackerConnectionRepository(self._work)
        self.issues = FakeIssueRepository(self._work)
        self.sync_runs = FakeSyncRunLog(self._work)
        self.webhook_deliveries = FakeWebhookDeliveryLog(self._work)
        self.sealed_secrets = FakeSealedSecretStore(self._work)
        self.agent_sessions = FakeAgentSessionRepository(self._work)
        self.jobs = FakeJobRepository(self._work)
        self.automation_runs = FakeAutomationRunRepository(self._work)
        self.audit = FakeAuditLog(self._work)
        self.api_tokens = FakeApiTokenRepository(self._work)
        self.login_failures = FakeLoginFailureLog(self._work)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = None
        self._read_only = False

    def commit(self) -> None:
        assert self._work is not None, "commit() outside the `with` block"
        assert not self._read_only, "commit() in a read-only unit of work"
        self.committed = self._work.copy()
        self.commits += 1

    def rollback(self) -> None:
        if self._work is not None:
            self.__enter__()


@attrs.frozen
class FakeKeyFile:
    """A key file in a FakeKeyStore's source folders: its public key, or why it is refused."""

    public_key: str | None = None
    refusal: str | None = None


class FakeKeyStore:
    """Source folders as a dict of path -> FakeKeyFile; records what it imported, by name."""

    def __init__(self, keys_dir: Path = Path("/instance/keys")) -> None:
        self.keys_dir = keys_dir
        self.files: dict[Path, FakeKeyFile] = {}
        self.stored: dict[str, str] = {}  # name -> public key of the stored private key

    def add_key(self, path: Path, public_key: str) -> None:
        self.files[path] = FakeKeyFile(public_key=public_key)

    def add_bad_file(self, path: Path, refusal: str) -> None:
        self.files[path] = FakeKeyFile(refusal=refusal)

    def private_keys_in(self, source_dir: Path) -> Sequence[Path]:
        found = sorted(p for p in self.files if p.parent == source_dir)
        if not found:
            raise NotFound(f"source folder {str(source_dir)!r} does not exist")
        return found

    def public_key_of(self, source: Path) -> str:
        file = self.files.get(source)
        if file is None:
            raise KeyRefused("no such file")
        if file.public_key is None:
            raise KeyRefused(file.refusal or "refused")
        return file.public_key

    def import_private_key(self, name: str, source: Path) -> ImportedKey:
        public_key = self.public_key_of(source)
        self.stored[name] = public_key
        return ImportedKey(path=self.keys_dir / name, public_key=public_key)


# Git workspaces ------------------------------------------------------------------------------


@attrs.define
class FakeClone:
    """A work tree: branch histories as lists of commit ids, the newest last."""

    origin: str
    branches: dict[str, list[str]]
    remote: dict[str, list[str]]  # what origin had at the last fetch, by branch name
    current: str
    upstream: dict[str, str] = attrs.field(factory=dict)  # branch -> remote branch
    dirty: set[str] = attrs.field(factory=set)  # tracked files with uncommitted changes
    untracked: set[str] = attrs.field(factory=set)


class FakeGitWorkspaces:
    """Remotes are `{url: {branch: [commit, ...]}}`; clones live in `self.clones` by path.

    Set `conflicts` to the files the next pull or merge conflicts in, `unreachable` to the
    URLs whose remote fails, `unsafe` to the paths that are symbolic links (every operation
    there is refused). Operations never change a clone when they raise. `acted_as`
    records, per path, the account (name, None: aiops's own) each operation ran as."""

    def __init__(self, remotes: dict[str, dict[str, list[str]]] | None = None) -> None:
        self.remotes = remotes if remotes is not None else {}
        self.clones: dict[Path, FakeClone] = {}
        self.conflicts: tuple[str, ...] = ()
        self.unreachable: set[str] = set()
        self.accesses: list[RemoteAccess] = []
        self.acted_as: dict[Path, set[str | None]] = {}
        self.unsafe: set[Path] = set()
        self._commits = 0

    def commit(self, path: Path, message: str = "work") -> str:
        """A local commit on the current branch (as the user would make)."""
        clone = self.clones[path]
        self._commits += 1
        sha = f"{message}-{self._commits}"
        clone.branches[clone.current].append(sha)
        return sha

    def _remote(self, url: str, access: RemoteAccess) -> dict[str, list[str]]:
        self.accesses.append(access)
        if access.url is not None and url != access.url:
            raise RemoteFailed(f"this workspace's origin is {url}, not {access.url}")
        if url in self.unreachable or url not in self.remotes:
            raise RemoteFailed(f"cannot reach {url}: repository not found")
        return self.remotes[url]

    def _as(self, tree: WorkTree) -> Path:
        if tree.path in self.unsafe:
            raise UnsafeWorkspace(f"{tree.path} is a symbolic link")
        self.acted_as.setdefault(tree.path, set()).add(tree.account.name if tree.account else None)
        return tree.path

    def _clone(self, tree: WorkTree) -> FakeClone:
        path = self._as(tree)
        if path not in self.clones:
            raise WorkspaceMissing(f"{path} is not a git work tree")
        return self.clones[path]

    def origin(self, tree: WorkTree) -> str | None:
        clone = self.clones.get(self._as(tree))
        return clone.origin if clone else None

    def clone(self, url: str, tree: WorkTree, *, branch: str, access: RemoteAccess) -> None:
        path = self._as(tree)
        if path in self.clones:
            raise WorkspaceExists(f"{path} already exists")
        remote = self._remote(url, access)
        current = branch if branch in remote else next(iter(remote), branch)
        self.clones[path] = FakeClone(
            origin=url,
            branches={current: list(remote.get(current, []))},
            remote={name: list(history) for name, history in remote.items()},
            current=current,
            upstream={current: current},
        )

    def status(self, tree: WorkTree) -> WorkspaceStatus:
        clone = self._clone(tree)
        local = clone.branches[clone.current]
        upstream = clone.upstream.get(clone.current)
        remote = clone.remote.get(upstream, []) if upstream else []
        return WorkspaceStatus(
            branch=clone.current,
            upstream=f"origin/{upstream}" if upstream else None,
            ahead=len([c for c in local if c not in remote]) if upstream else 0,
            behind=len([c for c in remote if c not in local]) if upstream else 0,
            unstaged=len(clone.dirty),
            untracked=len(clone.untracked),
            last_commit=Commit(
                sha=local[-1], subject=local[-1], author="fake", committed_at=FakeClock().now()
            )
            if local
            else None,
        )

    def fetch(self, tree: WorkTree, access: RemoteAccess) -> None:
        clone = self._clone(tree)
        remote = self._remote(clone.origin, access)
        clone.remote = {name: list(history) for name, history in remote.items()}

    def pull(self, tree: WorkTree, access: RemoteAccess) -> MergeOutcome:
        self.fetch(tree, access)
        clone = self._clone(tree)
        upstream = clone.upstream.get(clone.current)
        if upstream is None:
            raise ValidationError("branch", f"{clone.current!r} tracks no remote branch")
        return self._merge_into(clone, clone.remote[upstream], f"origin/{upstream}")

    def push(self, tree: WorkTree, access: RemoteAccess) -> PushOutcome:
        clone = self._clone(tree)
        remote = self._remote(clone.origin, access)
        local = clone.branches[clone.current]
        theirs = remote.get(clone.current, [])
        if local[: len(theirs)] != theirs:
            raise PushRejected("the remote has commits you do not have: pull first")
        remote[clone.current] = list(local)
        clone.remote[clone.current] = list(local)
        clone.upstream.setdefault(clone.current, clone.current)
        return PushOutcome(
            branch=clone.current,
            remote_ref=f"refs/heads/{clone.current}",
            head=local[-1],
            up_to_date=local == theirs,
        )

    def branches(self, tree: WorkTree) -> Branches:
        clone = self._clone(tree)
        return Branches(
            current=clone.current,
            local=tuple(sorted(clone.branches)),
            remote=tuple(sorted(f"origin/{name}" for name in clone.remote)),
        )

    def checkout(self, tree: WorkTree, branch: str) -> None:
        clone = self._clone(tree)
        if branch not in clone.branches and branch not in clone.remote:
            raise BranchMissing(f"no branch {branch!r}")
        if clone.dirty:
            raise DirtyWorkTree("checkout", clone.dirty)
        if branch not in clone.branches:
            clone.branches[branch] = list(clone.remote[branch])
            clone.upstream[branch] = branch
        clone.current = branch

    def create_branch(self, tree: WorkTree, branch: str, base: str | None) -> None:
        clone = self._clone(tree)
        if branch in clone.branches:
            raise BranchExists(f"branch {branch!r} already exists")
        start = self._history(clone, base) if base else clone.branches[clone.current]
        clone.branches[branch] = list(start)
        clone.current = branch

    def merge(self, tree: WorkTree, branch: str) -> MergeOutcome:
        clone = self._clone(tree)
        return self._merge_into(clone, self._history(clone, branch), branch)

    def _history(self, clone: FakeClone, ref: str) -> list[str]:
        name = ref.removeprefix("origin/")
        history = clone.remote.get(name) if ref.startswith("origin/") else clone.branches.get(ref)
        if history is None:
            raise BranchMissing(f"no branch {ref!r}")
        return history

    def _merge_into(self, clone: FakeClone, theirs: list[str], source: str) -> MergeOutcome:
        ours = clone.branches[clone.current]
        if all(c in ours for c in theirs):
            return MergeOutcome(kind=MergeKind.UP_TO_DATE, head=ours[-1] if ours else "")
        if clone.dirty:
            raise DirtyWorkTree("merge", clone.dirty)
        if self.conflicts:
            raise MergeConflict(source, self.conflicts)
        if ours == theirs[: len(ours)]:
            ours[:] = list(theirs)
            return MergeOutcome(kind=MergeKind.FAST_FORWARD, head=ours[-1])
        ours.extend([c for c in theirs if c not in ours] + [f"merge-{source}"])
        return MergeOutcome(kind=MergeKind.MERGE_COMMIT, head=ours[-1])


class GitAsAiops:
    """The real git adapter with every account replaced by aiops's own: for tests whose Linux
    accounts live in memory (FakeLinuxUsers), which no launcher can become."""

    def __init__(self, git: GitWorkspaces) -> None:
        self._git = git

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self._git, name)

        def as_aiops(*args: object, **kwargs: object) -> object:
            mine = (WorkTree(a.path) if isinstance(a, WorkTree) else a for a in args)
            return method(*mine, **kwargs)

        return as_aiops


class FakeLinuxUsers:
    """Accounts by name (people from uid 1000; `add` any other, root or a system account);
    refused by the same rules as PosixLinuxUsers."""

    def __init__(
        self, *names: str, minimum: int = 1000, deny: Collection[str] = ("nobody",)
    ) -> None:
        self.accounts: dict[str, LinuxAccount] = {}
        self.minimum = minimum
        self.deny = frozenset(deny)
        for i, name in enumerate(names):
            self.add(name, 1000 + i)

    def add(self, name: str, uid: int) -> LinuxAccount:
        account = LinuxAccount(name=name, uid=uid, gid=uid, home=f"/home/{name}")
        self.accounts[name] = account
        return account

    def lookup(self, name: str) -> LinuxAccount | None:
        account = self.accounts.get(name)
        why = account and system_accounts.refusal(
            name, account.uid, minimum=self.minimum, deny=self.deny
        )
        if why:
            raise AccountRefused(why)
        return account


class FakeAgentContextFiles:
    """AGENTS.override.md files by path, in workspaces (folders) the test declares;
    `written_as` records which account wrote each file (None: aiops's own)."""

    def __init__(self, *workspaces: Path) -> None:
        self.workspaces = set(workspaces)
        self.files: dict[Path, str] = {}
        self.written_as: dict[Path, str | None] = {}
        self.writes = 0

    def is_workspace(self, account: LinuxAccount | None, path: Path) -> bool:
        return path in self.workspaces

    def read(self, account: LinuxAccount | None, path: Path) -> str | None:
        return self.files.get(path)

    def write(self, account: LinuxAccount | None, path: Path, text: str) -> None:
        assert path.parent in self.workspaces, f"{path} is outside every workspace"
        self.files[path] = text
        self.written_as[path] = account.name if account else None
        self.writes += 1


class OwnAccountAgentContexts:
    """The real AGENTS.override.md adapter, acting as aiops's own account whoever the
    workspace's is: for tests whose accounts are FakeLinuxUsers' (no launcher can become
    them) and whose workspaces aiops made itself."""

    def __init__(self, files: AgentContextFiles) -> None:
        self.files = files

    def is_workspace(self, account: LinuxAccount | None, path: Path) -> bool:
        return self.files.is_workspace(None, path)

    def read(self, account: LinuxAccount | None, path: Path) -> str | None:
        return self.files.read(None, path)

    def write(self, account: LinuxAccount | None, path: Path, text: str) -> None:
        self.files.write(None, path, text)


class FakeCredentialStore:
    """Credentials by (user, tool); `homes` records what each mirror wrote, by path, and
    `refuse` makes mirroring fail as the real store does on a planted symlink."""

    def __init__(self) -> None:
        self.stored: dict[tuple[int, Tool], tuple[dict[str, bytes], CredentialInfo]] = {}
        self.homes: dict[str, bytes] = {}
        self.written_as: dict[str, str] = {}  # path in a HOME -> the account that wrote it
        self.refuse: str | None = None

    def save(
        self,
        user_id: int,
        tool: Tool,
        files: Mapping[str, bytes],
        saved_at: datetime,
    ) -> CredentialInfo:
        info = CredentialInfo(
            tool=tool,
            user_id=user_id,
            files=tuple(sorted(files)),
            saved_at=saved_at,
            fingerprint=fingerprint(files),
        )
        self.stored[user_id, tool] = (dict(files), info)
        return info

    def info(self, user_id: int, tool: Tool) -> CredentialInfo | None:
        found = self.stored.get((user_id, tool))
        return found[1] if found else None

    def mirror(
        self,
        user_id: int,
        tool: Tool,
        config_dir: str,
        owner: LinuxAccount,
        names: Collection[str] | None = None,
    ) -> bool:
        found = self.stored.get((user_id, tool))
        if found is None:
            return False
        if self.refuse:
            raise CredentialsRefused(self.refuse)
        for name, content in found[0].items():
            if names is None or name in names:
                self.homes[f"{owner.home}/{config_dir}/{name}"] = content
                self.written_as[f"{owner.home}/{config_dir}/{name}"] = owner.name
        return True

    def secret(self, user_id: int, tool: Tool, name: str) -> str | None:
        found = self.stored.get((user_id, tool))
        content = found[0].get(name) if found else None
        return content.decode() if content is not None else None


# Issue trackers -------------------------------------------------------------------------------


class FakeIssueTracker:
    """One tracker's remote issues by external id, as the tests change them. It answers like
    the real APIs: `since` is inclusive, a known etag with nothing changed is a free 304."""

    def __init__(self, token: str = "good-token") -> None:  # noqa: S107 - a test value
        self.issues: dict[str, RemoteIssue] = {}
        self.token = token
        self.requests = 0
        self._version = 0

    def put(self, issue: RemoteIssue) -> None:
        self.issues[issue.external_id] = issue
        self._version += 1

    def delete(self, external_id: str) -> None:
        self.issues.pop(external_id, None)
        self._version += 1

    def changed_since(
        self, target: TrackerTarget, since: datetime | None, etag: str | None
    ) -> IssueChanges:
        self.requests += 1
        if target.token != self.token:
            raise TrackerAuthFailed("the token was refused")
        current = f'"{self._version}-{since}"'
        if etag == current:
            return IssueChanges(issues=(), etag=etag, not_modified=True, requests=1)
        found = sorted(
            (i for i in self.issues.values() if since is None or i.updated_at >= since),
            key=lambda i: (i.updated_at, i.external_id),
        )
        return IssueChanges(issues=tuple(found), etag=current, requests=1)

    def check(self, target: TrackerTarget) -> str:
        if target.token != self.token:
            raise TrackerAuthFailed("the token was refused")
        return f"{target.key}: {sum(i.state is IssueState.OPEN for i in self.issues.values())} open"


# AI sessions ----------------------------------------------------------------------------------


class FakeTmuxSessions:
    """tmux servers as `{socket: {session: {window: TmuxWindow}}}`. Records each launch's spec,
    which windows were focused instead, how many servers each listing asked, and as whom each
    server was talked to (`clients`: (socket, account name)). `refused` accounts are treated
    as the launcher does (nothing is done as them); `unreadable` sockets fail to list."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self._clock = clock
        self.servers: dict[str, dict[str, dict[str, TmuxWindow]]] = {}
        self.launched: list[WindowSpec] = []
        self.focused: list[str] = []
        self.servers_asked = 0
        self.typed: list[tuple[str, str]] = []
        self.clients: set[tuple[str, str]] = set()
        self.refused: set[str] = set()
        self.unreadable: set[str] = set()
        self._pids = 4000

    def _as(self, server: TmuxServer) -> bool:
        """Whether the account may be acted as (recorded when so)."""
        if server.account.name in self.refused:
            return False
        self.clients.add((server.socket, server.account.name))
        return True

    def launch(self, spec: WindowSpec) -> Launched:
        if not self._as(spec.server):
            raise SessionRefused(f"{spec.account.name} is refused")
        windows = self.servers.setdefault(spec.socket, {}).setdefault(spec.session, {})
        window = windows.get(spec.window)
        if window is not None and window.alive:
            self.focused.append(f"{spec.session}:{spec.window}")
            return Launched(window=window, created=False)
        self._pids += 1
        window = TmuxWindow(
            socket=spec.socket,
            session=spec.session,
            window=spec.window,
            pane_pid=self._pids,
            foreground=spec.argv[0],
            last_activity=self._clock.now() if self._clock else datetime.now(UTC),
        )
        windows[spec.window] = window
        self.launched.append(spec)
        return Launched(window=window, created=True)

    def windows(self, servers: Sequence[TmuxServer]) -> TmuxListing:
        self.servers_asked += len(servers)
        readable = [s.socket for s in servers if self._as(s) and s.socket not in self.unreadable]
        return TmuxListing(
            windows=tuple(
                window
                for socket in readable
                for session in self.servers.get(socket, {}).values()
                for window in session.values()
            ),
            unreadable=frozenset(s.socket for s in servers if s.socket in self.unreadable),
        )

    def capture(self, server: TmuxServer, session: str, window: str, *, lines: int = 200) -> str:
        if not self._as(server):
            raise AccountRefused(f"{server.account.name} is refused")
        found = self.servers.get(server.socket, {}).get(session, {}).get(window)
        return "" if found is None else f"{found.foreground} running in {session}:{window}\n"

    def send_text(self, server: TmuxServer, session: str, window: str, text: str) -> None:
        if not self._as(server):
            raise AccountRefused(f"{server.account.name} is refused")
        self.typed.append((f"{session}:{window}", text))

    def kill_window(self, server: TmuxServer, session: str, window: str) -> None:
        if self._as(server) and server.socket in self.servers:
            self.drop(server.socket, session, window)

    def kill_sessions(self, server: TmuxServer, sessions: Sequence[str]) -> None:
        if self._as(server) and server.socket in self.servers:
            for session in sessions:
                self.drop(server.socket, session)

    def set(self, socket: str, session: str, window: str, **changes: object) -> None:
        """Change what tmux reports of a window (its foreground, activity, a dead pane)."""
        windows = self.servers[socket][session]
        windows[window] = attrs.evolve(windows[window], **changes)

    def drop(self, socket: str, session: str, window: str | None = None) -> None:
        """A window (or a whole session) gone behind aiops's back; as in tmux, a session goes
        with its last window."""
        windows = self.servers[socket].get(session, {})
        if window is not None:
            windows.pop(window, None)
        if window is None or not windows:
            self.servers[socket].pop(session, None)


# AI CLI installs ------------------------------------------------------------------------------


class FakeCliInstaller:
    """Installed versions by package; `installs` records each package asked for. A package's
    event in `gates` holds its install until the test sets it (to overlap two installs)."""

    def __init__(self, returncode: int = 0, version: str = "1.0.0") -> None:
        self.versions: dict[str, str] = {}
        self.installs: list[str] = []
        self.returncode = returncode
        self.version = version
        self.gates: dict[str, threading.Event] = {}
        self.started = threading.Event()

    def status(
        self, packages: Mapping[Tool, str], commands: Mapping[Tool, str] | None = None
    ) -> list[CliToolStatus]:
        return [
            CliToolStatus(tool=tool, package=package, installed=self.versions.get(package))
            for tool, package in packages.items()
        ]

    def install(self, tool: Tool, package: str, on_output: Callable[[str], None]) -> InstallResult:
        self.installs.append(package)
        self.started.set()
        on_output(f"added 1 package: {package}")
        if package in self.gates:
            self.gates[package].wait(10)
        if self.returncode == 0:
            self.versions[package] = self.version
        return InstallResult(
            tool=tool,
            package=package,
            returncode=self.returncode,
            version=self.versions.get(package),
            output_tail=f"added 1 package: {package}",
        )


class FakePlaybookCatalogue:
    def __init__(
        self,
        playbooks: Mapping[str, str] | None = None,
        inventories: Sequence[str] = ("localhost",),
        variables: Mapping[str, Mapping[str, VarType]] | None = None,
    ) -> None:
        self.descriptions = dict(
            playbooks
            if playbooks is not None
            else {"ping": "Connectivity check", "ai-clis": "AI CLIs", "host-report": "Report"}
        )
        self.inventory_names = list(inventories)
        self.variables = dict(variables or {})  # playbook -> its declared extra vars

    def playbooks(self) -> Sequence[Playbook]:
        return [
            Playbook(name=n, description=d, variables=self.variables.get(n, {}))
            for n, d in sorted(self.descriptions.items())
        ]

    def inventories(self) -> Sequence[str]:
        return list(self.inventory_names)


class FakePlaybookRunner:
    """Records each launch; the test plays the runner's part with emit() and finish() (and
    begin(), when `hold` keeps a started run queued, as ansible-runner's start-up does)."""

    def __init__(self, *, fail_to_start: bool = False, hold: bool = False) -> None:
        self.launches: dict[int, PlaybookLaunch] = {}
        self.listeners: dict[int, RunListener] = {}
        self.cancelled: list[int] = []
        self.fail_to_start = fail_to_start
        self.hold = hold

    def start(self, launch: PlaybookLaunch, listener: RunListener) -> None:
        if self.fail_to_start:
            raise OSError(2, "No such file or directory")
        self.launches[launch.run_id] = launch
        self.listeners[launch.run_id] = listener
        if not self.hold:
            listener.started()

    def begin(self, run_id: int) -> None:
        self.listeners[run_id].started()

    def emit(self, run_id: int, *events: RunEvent) -> None:
        for event in events:
            self.listeners[run_id].event(event)

    def finish(self, run_id: int, outcome: RunOutcome) -> None:
        self.listeners.pop(run_id).finished(outcome)

    def cancel(self, run_id: int) -> bool:
        if run_id not in self.listeners:
            return False
        self.cancelled.append(run_id)
        return True

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        return run_id not in self.listeners

    def running(self) -> Sequence[int]:
        return sorted(self.listeners)

    def stop_all(self) -> None:
        """End every run still going (cancelled), so that no recorder thread, which beats
        against the database, outlives the test that started it."""
        for run_id in list(self.listeners):
            self.finish(run_id, RunOutcome(status=RunStatus.CANCELLED, rc=None))


class FakeRunnerProcesses:
    """Runners named "<host>:<n>": those of `host` are alive unless in `dead`; those of any
    other host cannot be told (None)."""

    def __init__(self, host: str = "here", me: int = 1) -> None:
        self.host = host
        self.pid = me
        self.dead: set[str] = set()
        self.asked: list[str] = []

    def me(self) -> str:
        return f"{self.host}:{self.pid}"

    def kill(self, runner: str | None = None) -> None:
        self.dead.add(runner or self.me())

    def alive(self, runner: str) -> bool | None:
        self.asked.append(runner)
        if not runner.startswith(f"{self.host}:"):
            return None
        return runner not in self.dead

    def describe(self, runner: str) -> str:
        host, _, pid = runner.rpartition(":")
        return f"aiops process {pid} on {host}"


class FakeRemoteHosts:
    """Names resolve from `names` (host -> addresses), an address literal to itself, anything
    else not at all; the addresses are judged by the same rules as DnsRemoteHosts. `asked`
    records every host checked."""

    def __init__(
        self,
        names: Mapping[str, Sequence[str]] | None = None,
        *,
        allow_private_networks: bool = False,
    ) -> None:
        self.names = dict(names or {})
        self.allow_private_networks = allow_private_networks
        self.asked: list[str] = []

    def refusal(self, host: str) -> str | None:
        self.asked.append(host)
        literal = network.ip_literal(host)
        addresses = [str(literal)] if literal else list(self.names.get(host, ()))
        if not addresses:
            return f"{host} does not resolve"
        for text in addresses:
            reason = network.refusal(
                ipaddress.ip_address(text), allow_private_networks=self.allow_private_networks
            )
            if reason is not None:
                return f"{host} is refused: {reason}"
        return None
