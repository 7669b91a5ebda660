"""The in-memory unit of work and its repositories: same uniqueness rules as the SQL ones."""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

import attrs

from aiops.domain.errors import (
    Conflict,
    NotFound,
)
from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.auth import ApiToken
from aiops.domain.model.automation import AutomationRun, RunEvent
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.jobs import Job, JobOutcome
from aiops.domain.model.notifications import Delivery, NotificationTarget
from aiops.domain.model.projects import Project
from aiops.domain.model.pull_requests import LoopStep, PullRequest
from aiops.domain.model.sessions import AgentEvent, AgentSession, AgentStatus
from aiops.domain.model.sign_ins import SignInLink, UserIdentity
from aiops.domain.model.tenants import Membership, Tenant
from aiops.domain.model.trackers import (
    Issue,
    SyncRun,
    TrackerConnection,
    Triage,
)
from aiops.domain.model.users import User
from aiops.domain.model.worktrees import Worktree
from aiops.ports.unit_of_work import AuditQuery, IssueQuery, SealedSecret, SessionChanges
from tests.fakes.notifications import FakeDeliveryQueue, FakeNotificationTargets
from tests.fakes.pull_requests import FakeLoopSteps, FakePullRequests
from tests.fakes.sign_ins import FakeSignInLinks, FakeUserIdentities


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
    agent_events: list[AgentEvent] = attrs.field(factory=list)
    jobs: dict[int, Job] = attrs.field(factory=dict)
    automation_runs: dict[int, AutomationRun] = attrs.field(factory=dict)
    run_events: dict[tuple[int, int], RunEvent] = attrs.field(factory=dict)
    worktrees: dict[int, Worktree] = attrs.field(factory=dict)
    notification_targets: dict[int, NotificationTarget] = attrs.field(factory=dict)
    notice_deliveries: dict[int, Delivery] = attrs.field(factory=dict)
    pull_requests: dict[int, PullRequest] = attrs.field(factory=dict)
    loop_steps: dict[int, LoopStep] = attrs.field(factory=dict)
    user_identities: dict[int, UserIdentity] = attrs.field(factory=dict)
    sign_in_links: dict[int, SignInLink] = attrs.field(factory=dict)
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
            agent_events=list(self.agent_events),
            jobs=dict(self.jobs),
            automation_runs=dict(self.automation_runs),
            run_events=dict(self.run_events),
            notification_targets=dict(self.notification_targets),
            notice_deliveries=dict(self.notice_deliveries),
            pull_requests=dict(self.pull_requests),
            loop_steps=dict(self.loop_steps),
            worktrees=dict(self.worktrees),
            user_identities=dict(self.user_identities),
            sign_in_links=dict(self.sign_in_links),
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

    def remove(self, user_id: int, tenant_id: int) -> None:
        self._s.memberships.pop((user_id, tenant_id), None)

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

    def tenant_ids(self) -> dict[int, int]:
        return {project_id: p.tenant_id for project_id, p in self._s.projects.items()}


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

    def delete(self, session_id: int) -> None:
        self._s.agent_sessions.pop(session_id, None)
        self._s.agent_events[:] = [e for e in self._s.agent_events if e.session_id != session_id]

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

    def changes_marker(self) -> SessionChanges:
        live = self.list(live=True)
        since = [s.status_since for s in live if s.status_since is not None]
        return SessionChanges(
            last_event_id=max((e.id or 0 for e in self._s.agent_events), default=0),
            last_session_id=max((s.id or 0 for s in live), default=0),
            by_status=tuple(
                sum(1 for s in live if s.status is status)
                for status in AgentStatus
                if status is not AgentStatus.EXITED
            ),
            shared=sum(1 for s in live if s.shared),
            last_status_since=max(since, default=None),
        )


class FakeAgentEventRepository(_Repo):
    def add(self, event: AgentEvent) -> bool:
        if event.session_id not in self._s.agent_sessions:
            raise NotFound(f"session {event.session_id} does not exist")
        if event.event_id is not None and any(
            (e.session_id, e.event_id) == (event.session_id, event.event_id)
            for e in self._s.agent_events
        ):
            return False
        self._s.agent_events.append(attrs.evolve(event, id=self._s.new_id()))
        return True

    def seen(self, keys: Collection[tuple[int, str]]) -> set[tuple[int, str]]:
        stored = {(e.session_id, e.event_id) for e in self._s.agent_events}
        return {key for key in keys if key in stored}

    def add_many(self, events: Sequence[AgentEvent]) -> bool:
        keys = [(e.session_id, e.event_id) for e in events if e.event_id is not None]
        if len(set(keys)) != len(keys) or self.seen([(s, i) for s, i in keys if i]):
            return False
        for event in events:
            self.add(event)
        return True

    def list(self, session_id: int, limit: int = 100) -> Sequence[AgentEvent]:
        mine = [e for e in self._s.agent_events if e.session_id == session_id]
        return mine[::-1][:limit]


class FakeWorktreeRepository(_Repo):
    def add(self, worktree: Worktree) -> Worktree:
        for other in self._s.worktrees.values():
            same = (other.user_id, other.project_id, other.branch) == (
                worktree.user_id,
                worktree.project_id,
                worktree.branch,
            )
            if same or other.path == worktree.path:
                raise Conflict("worktree conflicts with existing data")
        worktree = attrs.evolve(worktree, id=self._s.new_id())
        assert worktree.id is not None
        self._s.worktrees[worktree.id] = worktree
        return worktree

    def get(self, worktree_id: int) -> Worktree | None:
        return self._s.worktrees.get(worktree_id)

    def delete(self, worktree_id: int) -> None:
        self._s.worktrees.pop(worktree_id, None)

    def list(
        self, *, project_id: int | None = None, user_id: int | None = None
    ) -> Sequence[Worktree]:
        return [
            w
            for _, w in sorted(self._s.worktrees.items())
            if (project_id is None or w.project_id == project_id)
            and (user_id is None or w.user_id == user_id)
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
        found += [
            SealedSecret("notification url", n.id, n.url_sealed)
            for n in self._s.notification_targets.values()
            if n.id is not None
        ]
        return found

    def replace(self, secret: SealedSecret, sealed: str) -> None:
        if secret.kind == "project https token":
            project = self._s.projects[secret.owner_id]
            self._s.projects[secret.owner_id] = attrs.evolve(project, https_token_sealed=sealed)
            return
        if secret.kind == "notification url":
            target = self._s.notification_targets[secret.owner_id]
            self._s.notification_targets[secret.owner_id] = attrs.evolve(target, url_sealed=sealed)
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
        self.agent_events = FakeAgentEventRepository(self._work)
        self.jobs = FakeJobRepository(self._work)
        self.automation_runs = FakeAutomationRunRepository(self._work)
        self.worktrees = FakeWorktreeRepository(self._work)
        self.audit = FakeAuditLog(self._work)
        self.api_tokens = FakeApiTokenRepository(self._work)
        self.login_failures = FakeLoginFailureLog(self._work)
        self.notification_targets = FakeNotificationTargets(self._work)
        self.notice_deliveries = FakeDeliveryQueue(self._work)
        self.pull_requests = FakePullRequests(self._work)
        self.loop_steps = FakeLoopSteps(self._work)
        self.user_identities = FakeUserIdentities(self._work)
        self.sign_in_links = FakeSignInLinks(self._work)
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
