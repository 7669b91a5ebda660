"""Repositories over one SQLAlchemy Connection; rows map to frozen entities and back.

Repositories never commit: the unit of work owns the transaction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    Row,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from aiops.adapters.sqlalchemy import tables as t
from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.auth import ApiToken
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import AgentSession
from aiops.domain.model.tenants import Membership, Role, Tenant
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    Provider,
    RemoteIssue,
    Severity,
    SyncRun,
    TrackerConnection,
    Triage,
    TriageStatus,
)
from aiops.domain.model.users import User
from aiops.ports.unit_of_work import AuditQuery, IssueQuery

E = TypeVar("E", Tenant, User, Project, ApiToken, SshIdentity, TrackerConnection, AgentSession)
MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)


@contextmanager
def _conflict_on_integrity_error(what: str) -> Iterator[None]:
    """A constraint the use case could not see (a concurrent writer) becomes a domain Conflict."""
    try:
        yield
    except IntegrityError as error:
        raise Conflict(f"{what} conflicts with existing data") from error


def tenant_from_row(row: Row[Any]) -> Tenant:
    return Tenant(id=row.id, slug=row.slug, name=row.name, color=row.color)


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        username=row.username,
        is_admin=row.is_admin,
        linux_username=row.linux_username,
        password_hash=row.password_hash,
        session_generation=row.session_generation,
        admin_source=row.admin_source,
    )


def project_from_row(row: Row[Any]) -> Project:
    return Project(
        id=row.id,
        tenant_id=row.tenant_id,
        slug=row.slug,
        name=row.name,
        repo_url=row.repo_url,
        default_branch=row.default_branch,
        identity_id=row.identity_id,
        https_token_sealed=row.https_token_sealed,
        clone_filter=row.clone_filter,
        clone_depth=row.clone_depth,
        auto_pull_request=row.auto_pull_request,
        auto_review_to_agent=row.auto_review_to_agent,
    )


def identity_from_row(row: Row[Any]) -> SshIdentity:
    return SshIdentity(
        id=row.id,
        name=row.name,
        public_key=row.public_key,
        private_key_path=row.private_key_path,
        owner_id=row.owner_id,
        created_at=row.created_at,
    )


def api_token_from_row(row: Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        token_hash=row.token_hash,
        hint=row.hint,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def membership_from_row(row: Row[Any]) -> Membership:
    return Membership(
        user_id=row.user_id, tenant_id=row.tenant_id, role=Role(row.role), source=row.source
    )


def audit_event_from_row(row: Row[Any]) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        actor=row.actor,
        tenant=row.tenant,
        action=row.action,
        target=row.target,
        detail=row.detail,
    )


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the database did not return the new row's id")
    return int(key[0])


def _values(entity: Any) -> dict[str, Any]:
    return {key: value for key, value in attrs.asdict(entity, recurse=False).items() if key != "id"}


@functools.cache
def _by(table: Table, column: str) -> Select[Any]:
    """`SELECT * FROM table WHERE column = :value`, built once. Building a statement and its
    cache key costs more CPU than SQLite takes to run it, and look-ups by key run on every
    request (the bearer token, its user, their memberships)."""
    return select(table).where(table.c[column] == bindparam("value"))


@functools.cache
def _all(table: Table) -> Select[Any]:
    """Every row, oldest first, built once (as `_by`)."""
    return select(table).order_by(table.c.id)


class _EntityTable(Generic[E]):
    """add / update / get for an entity with an integer id; subclasses add their look-ups."""

    def __init__(
        self, connection: Connection, table: Table, what: str, from_row: Callable[[Row[Any]], E]
    ) -> None:
        self._c = connection
        self._table = table
        self._what = what
        self._from_row: Callable[[Row[Any]], E] = from_row

    def add(self, entity: E) -> E:
        with _conflict_on_integrity_error(self._what):
            result = self._c.execute(insert(self._table).values(_values(entity)))
        return attrs.evolve(entity, id=_new_id(result))

    def update(self, entity: E) -> E:
        if entity.id is None or not 0 < entity.id <= MAX_ID:
            raise NotFound(f"{self._what} {entity.id} does not exist")
        with _conflict_on_integrity_error(self._what):
            result = self._c.execute(
                update(self._table).where(self._table.c.id == entity.id).values(_values(entity))
            )
        if result.rowcount != 1:
            raise NotFound(f"{self._what} {entity.id} does not exist")
        return entity

    def get(self, entity_id: int) -> E | None:
        if not 0 < entity_id <= MAX_ID:
            return None  # cannot name a row, and the driver would refuse to send it
        return self._one_by("id", entity_id)

    def _one_by(self, column: str, value: object) -> E | None:
        row = self._c.execute(_by(self._table, column), {"value": value}).first()
        return None if row is None else self._from_row(row)

    def _one(self, *criteria: ColumnElement[bool]) -> E | None:
        row = self._c.execute(select(self._table).where(*criteria)).first()
        return None if row is None else self._from_row(row)

    def _many(self, *criteria: ColumnElement[bool]) -> list[E]:
        if not criteria:
            return [self._from_row(row) for row in self._c.execute(_all(self._table))]
        rows = self._c.execute(select(self._table).where(*criteria).order_by(self._table.c.id))
        return [self._from_row(row) for row in rows]


class SqlTenantRepository(_EntityTable[Tenant]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.tenants, "tenant", tenant_from_row)

    def get_by_slug(self, slug: str) -> Tenant | None:
        return self._one_by("slug", slug)

    def list(self) -> Sequence[Tenant]:
        return self._many()


class SqlUserRepository(_EntityTable[User]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.users, "user", user_from_row)

    def get_by_email(self, email: str) -> User | None:
        return self._one_by("email", email)

    def get_by_username(self, username: str) -> User | None:
        return self._one_by("username", username)

    def list(self) -> Sequence[User]:
        return self._many()

    def update(self, user: User) -> User:
        """Everything but the session generation: a writer holding an older copy of the user
        (a sign-in rehashing the password) must never bring revoked cookies back."""
        if user.id is None or not 0 < user.id <= MAX_ID:
            raise NotFound(f"user {user.id} does not exist")
        values = _values(user)
        del values["session_generation"]
        with _conflict_on_integrity_error("user"):
            result = self._c.execute(update(t.users).where(t.users.c.id == user.id).values(values))
        if result.rowcount != 1:
            raise NotFound(f"user {user.id} does not exist")
        stored = self.get(user.id)
        assert stored is not None
        return stored

    def revoke_sessions(self, user_id: int) -> int:
        column = t.users.c.session_generation
        result = self._c.execute(
            update(t.users).where(t.users.c.id == user_id).values(session_generation=column + 1)
        )
        if result.rowcount != 1:
            raise NotFound(f"user {user_id} does not exist")
        generation = self._c.execute(select(column).where(t.users.c.id == user_id)).scalar_one()
        return int(generation)


class SqlProjectRepository(_EntityTable[Project]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.projects, "project", project_from_row)

    def get_by_slug(self, tenant_id: int, slug: str) -> Project | None:
        return self._one(t.projects.c.tenant_id == tenant_id, t.projects.c.slug == slug)

    def list(self, tenant_id: int | None = None) -> Sequence[Project]:
        if tenant_id is None:
            return self._many()
        return self._many(t.projects.c.tenant_id == tenant_id)

    def tenant_ids(self) -> dict[int, int]:
        p = t.projects.c
        return dict(self._c.execute(select(p.id, p.tenant_id)).all())


class SqlIdentityRepository(_EntityTable[SshIdentity]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.ssh_identities, "identity", identity_from_row)

    def get_by_name(self, name: str) -> SshIdentity | None:
        return self._one_by("name", name)

    def list(self) -> Sequence[SshIdentity]:
        return self._many()


_MEMBERSHIPS_OF = (
    select(t.memberships)
    .where(t.memberships.c.user_id == bindparam("value"))
    .order_by(t.memberships.c.tenant_id)
)


class SqlMembershipRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, membership: Membership) -> Membership:
        with _conflict_on_integrity_error("membership"):
            self._c.execute(insert(t.memberships).values(_row(membership)))
        return membership

    def update(self, membership: Membership) -> Membership:
        m = t.memberships.c
        result = self._c.execute(
            update(t.memberships)
            .where(m.user_id == membership.user_id, m.tenant_id == membership.tenant_id)
            .values(role=membership.role.value, source=membership.source.value)
        )
        if result.rowcount != 1:
            raise NotFound("membership does not exist")
        return membership

    def remove(self, user_id: int, tenant_id: int) -> None:
        m = t.memberships.c
        self._c.execute(delete(t.memberships).where(m.user_id == user_id, m.tenant_id == tenant_id))

    def get(self, user_id: int, tenant_id: int) -> Membership | None:
        m = t.memberships.c
        row = self._c.execute(
            select(t.memberships).where(m.user_id == user_id, m.tenant_id == tenant_id)
        ).first()
        return None if row is None else membership_from_row(row)

    def list_for_tenant(self, tenant_id: int) -> Sequence[Membership]:
        m = t.memberships.c
        rows = self._c.execute(
            select(t.memberships).where(m.tenant_id == tenant_id).order_by(m.user_id)
        )
        return [membership_from_row(row) for row in rows]

    def list_for_user(self, user_id: int) -> Sequence[Membership]:
        rows = self._c.execute(_MEMBERSHIPS_OF, {"value": user_id})
        return [membership_from_row(row) for row in rows]


def _row(membership: Membership) -> Mapping[str, Any]:
    return {
        "user_id": membership.user_id,
        "tenant_id": membership.tenant_id,
        "role": membership.role.value,
        "source": membership.source.value,
    }


class SqlAuditLog:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def latest_id(self) -> int:
        return int(self._c.execute(select(func.max(t.audit_events.c.id))).scalar() or 0)

    def add(self, event: AuditEvent) -> AuditEvent:
        values = _values(event) | {"detail": dict(event.detail)}
        result = self._c.execute(insert(t.audit_events).values(values))
        return attrs.evolve(event, id=_new_id(result))

    def list(self, query: AuditQuery) -> Sequence[AuditEvent]:
        a = t.audit_events.c
        criteria: list[ColumnElement[bool]] = []
        if query.actor is not None:
            criteria.append(a.actor == query.actor)
        if query.tenant is not None:
            criteria.append(a.tenant == query.tenant)
        if query.action is not None:
            criteria.append(a.action == query.action)
        if query.since is not None:
            criteria.append(a.at >= query.since)
        if query.until is not None:
            criteria.append(a.at <= query.until)
        rows = self._c.execute(
            select(t.audit_events)
            .where(*criteria)
            .order_by(a.at.desc(), a.id.desc())
            .limit(query.limit)
        )
        return [audit_event_from_row(row) for row in rows]


class SqlApiTokenRepository(_EntityTable[ApiToken]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.api_tokens, "token", api_token_from_row)

    def get_by_hash(self, token_hash: str) -> ApiToken | None:
        return self._one_by("token_hash", token_hash)

    def touch(self, token_id: int, at: datetime, stale_before: datetime) -> None:
        c = t.api_tokens.c
        stale = or_(c.last_used_at.is_(None), c.last_used_at < stale_before)
        self._c.execute(update(t.api_tokens).where(c.id == token_id, stale).values(last_used_at=at))

    def list_for_user(self, user_id: int) -> Sequence[ApiToken]:
        return self._many(t.api_tokens.c.user_id == user_id)


class SqlLoginFailureLog:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, key: str, at: datetime) -> None:
        self._c.execute(insert(t.login_failures).values(key=key, at=at))

    def count_since(self, key: str, since: datetime) -> int:
        f = t.login_failures.c
        query = (
            select(func.count()).select_from(t.login_failures).where(f.key == key, f.at >= since)
        )
        return int(self._c.execute(query).scalar_one())

    def clear(self, key: str) -> None:
        self._c.execute(delete(t.login_failures).where(t.login_failures.c.key == key))


def tracker_from_row(row: Row[Any]) -> TrackerConnection:
    return TrackerConnection(
        id=row.id,
        project_id=row.project_id,
        provider=Provider(row.provider),
        base_url=row.base_url,
        key=row.key,
        token_sealed=row.token_sealed,
        webhook_secret_sealed=row.webhook_secret_sealed,
        token_saved_at=row.token_saved_at,
        cursor=row.cursor,
        etag=row.etag,
        last_error=row.last_error,
    )


class SqlTrackerConnectionRepository(_EntityTable[TrackerConnection]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.tracker_connections, "tracker connection", tracker_from_row)

    def list(self, project_id: int | None = None) -> Sequence[TrackerConnection]:
        if project_id is None:
            return self._many()
        return self._many(self._table.c.project_id == project_id)

    def remove(self, connection_id: int) -> None:
        # Children first: SQLite enforces ON DELETE CASCADE only with its foreign_keys pragma.
        pulls = t.pull_requests
        self._c.execute(delete(pulls).where(pulls.c.connection_id == connection_id))
        self._c.execute(delete(t.issues).where(t.issues.c.connection_id == connection_id))
        self._c.execute(delete(t.sync_runs).where(t.sync_runs.c.connection_id == connection_id))
        deliveries = t.webhook_deliveries
        self._c.execute(delete(deliveries).where(deliveries.c.connection_id == connection_id))
        self._c.execute(delete(self._table).where(self._table.c.id == connection_id))


def issue_from_row(row: Row[Any]) -> Issue:
    return Issue(
        id=row.id,
        connection_id=row.connection_id,
        project_id=row.project_id,
        provider=Provider(row.provider),
        remote=RemoteIssue(
            external_id=row.external_id,
            number=row.number,
            title=row.title,
            body=row.body,
            state=IssueState(row.state),
            labels=tuple(row.labels),
            assignees=tuple(row.assignees),
            url=row.url,
            created_at=row.created_at,
            updated_at=row.updated_at,
        ),
        triage=Triage(
            status=TriageStatus(row.triage_status),
            severity=None if row.severity is None else Severity(row.severity),
            owner_id=row.owner_id,
            note=row.note,
        ),
    )


def _remote_values(remote: RemoteIssue) -> dict[str, Any]:
    return {
        "external_id": remote.external_id,
        "number": remote.number,
        "title": remote.title,
        "body": remote.body,
        "state": remote.state.value,
        "labels": list(remote.labels),
        "assignees": list(remote.assignees),
        "url": remote.url,
        "created_at": remote.created_at,
        "updated_at": remote.updated_at,
    }


class SqlIssueRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def for_connection(
        self, connection_id: int, external_ids: Collection[str] | None = None
    ) -> Mapping[str, Issue]:
        statement = select(t.issues).where(t.issues.c.connection_id == connection_id)
        found: dict[str, Issue] = {}
        if external_ids is None:
            return {row.external_id: issue_from_row(row) for row in self._c.execute(statement)}
        wanted = list(external_ids)
        for start in range(0, len(wanted), 1000):  # below every driver's parameter limit
            chunk = statement.where(t.issues.c.external_id.in_(wanted[start : start + 1000]))
            found.update((row.external_id, issue_from_row(row)) for row in self._c.execute(chunk))
        return found

    def add_many(self, issues: Sequence[Issue]) -> None:
        if not issues:
            return
        rows = [
            {
                "connection_id": issue.connection_id,
                "project_id": issue.project_id,
                "provider": issue.provider.value,
                **_remote_values(issue.remote),
                "triage_status": issue.triage.status.value,
                "severity": None if issue.triage.severity is None else issue.triage.severity.value,
                "owner_id": issue.triage.owner_id,
                "note": issue.triage.note,
            }
            for issue in issues
        ]
        with _conflict_on_integrity_error("issue"):
            self._c.execute(insert(t.issues), rows)

    def update_remote_many(self, issues: Sequence[Issue]) -> None:
        if not issues:
            return
        statement = (
            update(t.issues)
            .where(t.issues.c.id == bindparam("issue_id"))
            .values({name: bindparam(name) for name in _REMOTE_COLUMNS})
        )
        rows = [{"issue_id": i.id, **_remote_values(i.remote)} for i in issues]
        self._c.execute(statement, rows)

    def list(self, query: IssueQuery) -> Sequence[Issue]:
        statement = (
            select(t.issues)
            .where(*_issue_filters(query))
            .order_by(*_ISSUE_ORDERS.get(query.sort, _ISSUE_ORDERS["updated"]))
            .limit(query.limit)
            .offset(query.offset)
        )
        return [issue_from_row(row) for row in self._c.execute(statement)]

    def count(self, query: IssueQuery) -> int:
        statement = select(func.count()).select_from(t.issues).where(*_issue_filters(query))
        return int(self._c.execute(statement).scalar_one())

    def get(self, issue_id: int) -> Issue | None:
        if not 0 < issue_id <= MAX_ID:
            return None
        row = self._c.execute(select(t.issues).where(t.issues.c.id == issue_id)).first()
        return None if row is None else issue_from_row(row)

    def set_triage(self, issue_id: int, triage: Triage) -> None:
        self._c.execute(
            update(t.issues)
            .where(t.issues.c.id == issue_id)
            .values(
                triage_status=triage.status.value,
                severity=None if triage.severity is None else triage.severity.value,
                owner_id=triage.owner_id,
                note=triage.note,
            )
        )

    def incident_counts(
        self,
        project_ids: Sequence[int],
        incident_labels: Sequence[str],
        tenant_ids: Sequence[int] | None = None,
    ) -> Mapping[int, int]:
        query = IssueQuery(
            project_ids=project_ids, state=IssueState.OPEN.value, incident_labels=incident_labels
        )
        statement = (
            select(t.issues.c.project_id, func.count())
            .join(t.projects, t.projects.c.id == t.issues.c.project_id)
            .where(*_issue_filters(query))
            .group_by(t.issues.c.project_id)
        )
        if tenant_ids is not None:
            statement = statement.where(t.projects.c.tenant_id.in_(list(tenant_ids)))
        return {int(project): int(n) for project, n in self._c.execute(statement)}


def _containing(text: str) -> str:
    """A LIKE pattern (escape character: backslash) matching values that contain `text`."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _json_contains(column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """A JSON array of strings holds `value` (as text, portable to SQLite and PostgreSQL)."""
    return cast(column, Text).like(_containing(json.dumps(value)), escape="\\")


def _issue_filters(query: IssueQuery) -> list[ColumnElement[bool]]:
    c = t.issues.c
    found: list[ColumnElement[bool]] = []
    if query.project_ids is not None:
        found.append(c.project_id.in_(list(query.project_ids)))
    for column, value in (
        (c.provider, query.provider),
        (c.state, query.state),
        (c.severity, query.severity),
        (c.triage_status, query.triage_status),
    ):
        if value is not None:
            found.append(column == value)
    if query.label is not None:
        found.append(_json_contains(c.labels, query.label))
    if query.assignee is not None:
        found.append(_json_contains(c.assignees, query.assignee))
    if query.text:
        pattern = _containing(query.text)
        found.append(or_(c.title.ilike(pattern, escape="\\"), c.number == query.text))
    if query.incident_labels is not None:
        found.append(
            or_(
                c.severity.is_not(None),
                *(_json_contains(c.labels, label) for label in query.incident_labels),
            )
        )
    return found


_ISSUE_ORDERS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "updated": (t.issues.c.updated_at.desc(), t.issues.c.id.desc()),
    "created": (t.issues.c.created_at.desc(), t.issues.c.id.desc()),
    "severity": (t.issues.c.severity.is_(None), t.issues.c.severity, t.issues.c.updated_at.desc()),
    "number": (t.issues.c.number, t.issues.c.id),
}


_REMOTE_COLUMNS = (
    "external_id",
    "number",
    "title",
    "body",
    "state",
    "labels",
    "assignees",
    "url",
    "created_at",
    "updated_at",
)


def sync_run_from_row(row: Row[Any]) -> SyncRun:
    return SyncRun(
        id=row.id,
        connection_id=row.connection_id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        full=row.full,
        created=row.created,
        updated=row.updated,
        unchanged=row.unchanged,
        removed=row.removed,
        requests=row.requests,
        error=row.error,
    )


class SqlSyncRunLog:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, run: SyncRun) -> SyncRun:
        result = self._c.execute(insert(t.sync_runs).values(_values(run)))
        return attrs.evolve(run, id=_new_id(result))

    def list(self, connection_id: int, limit: int = 20) -> Sequence[SyncRun]:
        rows = self._c.execute(
            select(t.sync_runs)
            .where(t.sync_runs.c.connection_id == connection_id)
            .order_by(t.sync_runs.c.started_at.desc(), t.sync_runs.c.id.desc())
            .limit(limit)
        )
        return [sync_run_from_row(row) for row in rows]
