"""SyncIssues: bring each tracker connection's issues into aiops, incrementally.

The decisions live in pure functions (property-tested): what to ask the tracker for
(`listing`), what to write (`plan_sync`) and where the cursor goes (`after_sync`); the use
case fetches, applies the plan in one transaction per connection and records the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from aiops.domain.errors import DomainError
from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.notifications import incident_notices
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    Provider,
    RemoteIssue,
    SyncRun,
    TrackerConnection,
    TrackerRateLimited,
)
from aiops.domain.usecases._audit import record
from aiops.domain.usecases.trackers import adapter_for, target
from aiops.ports.clock import Clock
from aiops.ports.issue_tracker import IssueChanges, IssueTracker
from aiops.ports.notifications import NoticeSink
from aiops.ports.operation_counts import RateLimitHeadroom
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import IssueQuery, UnitOfWork, UnitOfWorkFactory

# Re-read a little before the newest update seen: an issue updated in the same second as the
# cursor (or on a tracker whose clock runs behind) is not missed; it comes back unchanged.
OVERLAP = timedelta(seconds=2)


@attrs.frozen(kw_only=True)
class SyncPlan:
    create: tuple[RemoteIssue, ...] = ()
    update: tuple[Issue, ...] = ()  # local issues with their new remote part, triage kept
    remove: tuple[Issue, ...] = ()  # gone from the tracker: marked REMOVED, triage kept
    unchanged: int = 0

    @property
    def changes_anything(self) -> bool:
        return bool(self.create or self.update or self.remove)

    def counted(self, run: SyncRun) -> SyncRun:
        """The run with this plan's counts."""
        return attrs.evolve(
            run,
            created=len(self.create),
            updated=len(self.update),
            removed=len(self.remove),
            unchanged=self.unchanged,
        )


def plan_sync(remote: Sequence[RemoteIssue], local: Mapping[str, Issue], *, full: bool) -> SyncPlan:
    """What to write so that local matches remote. Only a full listing can tell that an
    issue was removed; an incremental one names just what changed."""
    create: list[RemoteIssue] = []
    update: list[Issue] = []
    unchanged = 0
    seen = set()
    for issue in remote:
        seen.add(issue.external_id)
        known = local.get(issue.external_id)
        if known is None:
            create.append(issue)
        elif known.remote != issue:
            update.append(attrs.evolve(known, remote=issue))
        else:
            unchanged += 1
    remove: tuple[Issue, ...] = ()
    if full:
        remove = tuple(
            attrs.evolve(i, remote=attrs.evolve(i.remote, state=IssueState.REMOVED))
            for external_id, i in sorted(local.items())
            if external_id not in seen and i.remote.state is not IssueState.REMOVED
        )
    return SyncPlan(create=tuple(create), update=tuple(update), remove=remove, unchanged=unchanged)


def listing(connection: TrackerConnection, *, full: bool) -> tuple[datetime | None, str | None]:
    """What to ask the tracker for: issues updated since when (None: all of them), and the
    ETag that lets it answer 304. A full sync asks for everything, without an ETag."""
    if full:
        return None, None
    since = None if connection.cursor is None else connection.cursor - OVERLAP
    return since, connection.etag


def after_sync(connection: TrackerConnection, changes: IssueChanges) -> TrackerConnection:
    """The connection once `changes` are stored: the cursor moves to the newest update seen
    (never back), the ETag to the tracker's new one (a 304 keeps the old), the error clears."""
    newest = max((i.updated_at for i in changes.issues), default=None)
    return attrs.evolve(
        connection,
        cursor=max(filter(None, (connection.cursor, newest)), default=None),
        etag=connection.etag if changes.not_modified else changes.etag,
        last_error=None,
    )


def new_issues(connection: TrackerConnection, remote: Sequence[RemoteIssue]) -> list[Issue]:
    assert connection.id is not None
    return [
        Issue(
            connection_id=connection.id,
            project_id=connection.project_id,
            provider=connection.provider,
            remote=issue,
        )
        for issue in remote
    ]


@attrs.frozen(kw_only=True)
class SyncIssuesCommand:
    project_id: int | None = None  # None: every connection the actor may use
    connection_id: int | None = None  # a webhook's targeted sync
    full: bool = False  # list everything (and notice removed issues), not just what changed
    actor: Actor = SYSTEM


class SyncIssues:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_box: SecretBox,
        trackers: Mapping[Provider, IssueTracker],
        headroom: RateLimitHeadroom | None = None,
        notices: NoticeSink | None = None,
        incident_labels: Sequence[str] = (),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._trackers = trackers
        self._headroom = headroom
        self._notices = notices  # incidents synced, to the tenant's targets (issue 18)
        self._incident_labels = incident_labels

    def __call__(self, cmd: SyncIssuesCommand) -> list[SyncRun]:
        """One run per connection; a failing connection never stops the others."""
        return [self.sync_one(connection, cmd) for connection in self._connections(cmd)]

    def _connections(self, cmd: SyncIssuesCommand) -> list[TrackerConnection]:
        with self._uow(read_only=True) as uow:
            tenants = uow.projects.tenant_ids()
            return [
                c
                for c in uow.trackers.list(cmd.project_id)
                if (cmd.connection_id is None or c.id == cmd.connection_id)
                and cmd.actor.may(Permission.USE, tenants[c.project_id])
            ]

    def sync_one(self, connection: TrackerConnection, cmd: SyncIssuesCommand) -> SyncRun:
        assert connection.id is not None
        started = self._clock.now()
        run = SyncRun(connection_id=connection.id, started_at=started, finished_at=started)
        try:
            changes = adapter_for(self._trackers, connection).changed_since(
                target(connection, self._box), *listing(connection, full=cmd.full)
            )
            run = attrs.evolve(run, requests=changes.requests, full=cmd.full)
            self._note_headroom(connection.id, changes.rate_limit_remaining)
            return self._store(connection, changes, run, cmd.actor)
        except DomainError as error:
            if isinstance(error, TrackerRateLimited):
                self._note_headroom(connection.id, 0)
            run = attrs.evolve(run, finished_at=self._clock.now())
            return self._failed(connection, run, error)

    def _note_headroom(self, connection_id: int, remaining: int | None) -> None:
        """What the tracker said is left of its rate limit, for /metrics."""
        if self._headroom is not None and remaining is not None:
            self._headroom.record(connection_id, remaining)

    def _store(
        self, connection: TrackerConnection, changes: IssueChanges, run: SyncRun, actor: Actor
    ) -> SyncRun:
        """Apply the plan, move the cursor and record the run, in one transaction."""
        assert connection.id is not None
        with self._uow() as uow:
            # A full sync compares everything; an incremental one only what was listed.
            named = None if run.full else {i.external_id for i in changes.issues}
            local = uow.issues.for_connection(connection.id, named)
            plan = plan_sync(changes.issues, local, full=run.full)
            uow.issues.add_many(new_issues(connection, plan.create))
            self._notify_incidents(uow, connection, plan.create)
            uow.issues.update_remote_many([*plan.update, *plan.remove])
            uow.trackers.update(after_sync(connection, changes))
            run = uow.sync_runs.add(plan.counted(attrs.evolve(run, finished_at=self._clock.now())))
            if plan.changes_anything:  # pages cache on the audit trail
                record(
                    uow,
                    self._clock,
                    actor=actor.name,
                    action="tracker.synced",
                    target=f"tracker:{connection.id}",
                    created=run.created,
                    updated=run.updated,
                    removed=run.removed,
                )
            uow.commit()
        return run

    def _notify_incidents(
        self, uow: UnitOfWork, connection: TrackerConnection, created: Sequence[RemoteIssue]
    ) -> None:
        project = uow.projects.get(connection.project_id) if created else None
        if self._notices is None or project is None:
            return
        assert connection.id is not None
        notices = incident_notices(created, self._incident_labels, tenant_id=project.tenant_id,
                                   connection_id=connection.id)  # fmt: skip
        if notices:
            self._notices(uow, notices)

    def _failed(self, connection: TrackerConnection, run: SyncRun, error: DomainError) -> SyncRun:
        """Nothing synced before is lost: only the connection's status and the run change."""
        with self._uow() as uow:
            current = uow.trackers.get(connection.id or 0)
            if current is not None:
                uow.trackers.update(attrs.evolve(current, last_error=error.message))
            run = uow.sync_runs.add(attrs.evolve(run, error=error.message))
            record(
                uow,
                self._clock,
                actor=SYSTEM.name,
                action="tracker.sync_failed",
                target=f"tracker:{connection.id}",
                error=error.message,
            )
            uow.commit()
        return run


@attrs.frozen(kw_only=True)
class ListIssuesQuery:
    project_id: int | None = None
    limit: int = 100
    offset: int = 0
    actor: Actor = SYSTEM


class ListIssues:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, query: ListIssuesQuery) -> Sequence[Issue]:
        with self._uow(read_only=True) as uow:
            visible = [
                p.id
                for p in uow.projects.list()
                if p.id is not None
                and query.actor.may(Permission.VIEW, p.tenant_id)
                and (query.project_id is None or p.id == query.project_id)
            ]
            return uow.issues.list(
                IssueQuery(project_ids=visible, limit=query.limit, offset=query.offset)
            )
