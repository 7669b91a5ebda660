"""Scheduled jobs in SQL: SqlJobRepository (inside a unit of work) and SqlAlchemyJobStore,
whose lease operations are each one short transaction of their own.

Claiming, so that no two runners ever hold one job:
- PostgreSQL: `SELECT id ... FOR UPDATE SKIP LOCKED` (rows another runner is claiming are
  skipped, not waited for), then the UPDATE of their lease, in one transaction.
- SQLite: one `UPDATE ... WHERE id IN (SELECT ... due and free ...) RETURNING *`; SQLite runs
  a statement under its database write lock, so the check and the lease are one step
  (RETURNING needs SQLite 3.35; older ones re-read the rows the UPDATE leased, in the same
  transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    case,
    delete,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.engine import unavailable
from aiops.adapters.sqlalchemy.repositories import _conflict_on_integrity_error, _new_id
from aiops.domain.errors import NotFound
from aiops.domain.model.jobs import Job, JobOutcome, JobStatus, Schedule

SQLITE_RETURNING = tuple(int(part) for part in sqlite3.sqlite_version.split(".")[:2]) >= (3, 35)
c = t.jobs.c


def job_from_row(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        name=row.name,
        kind=row.kind,
        schedule=Schedule(every_seconds=row.every_seconds, cron=row.cron, timezone=row.timezone),
        params=dict(row.params or {}),
        enabled=bool(row.enabled),
        next_run=row.next_run,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        last_status=JobStatus(row.last_status) if row.last_status else None,
        last_started_at=row.last_started_at,
        last_ended_at=row.last_ended_at,
        last_duration=row.last_duration,
        last_error=row.last_error,
    )


def _definition(job: Job) -> dict[str, Any]:
    """What a person changes: never the lease or the last run (the runners own those)."""
    return {
        "name": job.name,
        "kind": job.kind,
        "every_seconds": job.schedule.every_seconds,
        "cron": job.schedule.cron,
        "timezone": job.schedule.timezone,
        "params": dict(job.params),
        "enabled": job.enabled,
        "next_run": job.next_run,
    }


class SqlJobRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, job: Job) -> Job:
        with _conflict_on_integrity_error("job"):
            result = self._c.execute(insert(t.jobs).values(_definition(job)))
        return attrs.evolve(job, id=_new_id(result))

    def update(self, job: Job) -> Job:
        with _conflict_on_integrity_error("job"):
            result = self._c.execute(
                update(t.jobs).where(c.id == (job.id or 0)).values(_definition(job))
            )
        if result.rowcount != 1:
            raise NotFound(f"job {job.name!r} does not exist")
        return job

    def get_by_name(self, name: str) -> Job | None:
        row = self._c.execute(select(t.jobs).where(c.name == name)).first()
        return None if row is None else job_from_row(row)

    def list(self) -> Sequence[Job]:
        return [job_from_row(row) for row in self._c.execute(select(t.jobs).order_by(c.name))]

    def remove(self, job_id: int) -> None:
        self._c.execute(delete(t.jobs).where(c.id == job_id))


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(c.lease_until.is_(None), c.lease_until <= now)


def _held_by(job_id: int, owner: str) -> ColumnElement[bool]:
    return and_(c.id == job_id, c.lease_owner == owner)


class SqlAlchemyJobStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as connection:
                yield connection
        except DBAPIError as error:
            raise unavailable(self._engine, error) from None

    def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> Sequence[Job]:
        due = and_(c.enabled == true(), c.next_run <= now, _free(now))
        soonest = select(c.id).where(due).order_by(c.next_run, c.id).limit(limit)
        lease_it = {"lease_owner": owner, "lease_until": now + lease}
        with self._transaction() as connection:
            if self._postgres:
                ids = list(connection.scalars(soonest.with_for_update(skip_locked=True)))
                if not ids:
                    return []
                claim = update(t.jobs).where(c.id.in_(ids)).values(lease_it)
            else:
                claim = update(t.jobs).where(c.id.in_(soonest.scalar_subquery())).values(lease_it)
            rows = self._leased(connection, claim, owner, now + lease)
        return sorted(rows, key=lambda job: (job.next_run, job.id or 0))

    def claim(self, name: str, owner: str, now: datetime, lease: timedelta) -> Job | None:
        lease_it = {"lease_owner": owner, "lease_until": now + lease}
        with self._transaction() as connection:
            claim = update(t.jobs).where(c.name == name, _free(now)).values(lease_it)
            rows = self._leased(connection, claim, owner, now + lease)
            if rows:
                return rows[0]
            if connection.execute(select(c.id).where(c.name == name)).first() is None:
                raise NotFound(f"job {name[:80]!r} does not exist")
        return None

    def _leased(self, connection: Connection, claim: Any, owner: str, until: datetime) -> list[Job]:
        if self._postgres or SQLITE_RETURNING:
            return [job_from_row(row) for row in connection.execute(claim.returning(*t.jobs.c))]
        connection.execute(claim)  # the transaction now holds SQLite's write lock
        mine = select(t.jobs).where(c.lease_owner == owner, c.lease_until == until)
        return [job_from_row(row) for row in connection.execute(mine)]

    def heartbeat(self, job_id: int, owner: str, now: datetime, until: datetime) -> bool:
        renew = (
            update(t.jobs)
            .where(_held_by(job_id, owner), c.lease_until > now)
            .values(lease_until=until)
        )
        with self._transaction() as connection:
            return connection.execute(renew).rowcount == 1

    def finish(
        self,
        job_id: int,
        owner: str,
        outcome: JobOutcome,
        next_run: datetime,
        *,
        claimed_next_run: datetime | None = None,
    ) -> bool:
        scheduled: Any = next_run
        if claimed_next_run is not None:  # one set while the job ran ("Run now") is kept
            scheduled = case((c.next_run != claimed_next_run, c.next_run), else_=next_run)
        done = (
            update(t.jobs)
            .where(_held_by(job_id, owner))
            .values(
                lease_owner=None,
                lease_until=None,
                next_run=scheduled,
                last_status=outcome.status.value,
                last_started_at=outcome.started_at,
                last_ended_at=outcome.ended_at,
                last_duration=outcome.duration,
                last_error=outcome.error,
            )
        )
        with self._transaction() as connection:
            return connection.execute(done).rowcount == 1

    def release(self, job_id: int, owner: str) -> bool:
        free = (
            update(t.jobs).where(_held_by(job_id, owner)).values(lease_owner=None, lease_until=None)
        )
        with self._transaction() as connection:
            return connection.execute(free).rowcount == 1
