"""SqlAlchemyOperationCounts: the figures /metrics reports, in a few grouped queries.

Each query reads an index or a small table (sessions not exited, runs by status, the jobs,
the connections), so a scrape costs a handful of milliseconds whatever the history holds.
"""

from __future__ import annotations

from datetime import datetime

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    ScalarSelect,
    func,
    select,
    true,
)
from sqlalchemy.exc import DBAPIError

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.engine import READ_ONLY, unavailable
from aiops.ports.operation_counts import SYNC_WINDOW, OperationsSnapshot, RateLimitHeadroom


class SqlAlchemyOperationCounts:
    def __init__(self, *, engine: Engine, headroom: RateLimitHeadroom) -> None:
        self._engine = engine
        self._headroom = headroom

    def snapshot(self, now: datetime) -> OperationsSnapshot:
        try:
            return self._read(now)
        except DBAPIError as error:
            raise unavailable(self._engine, error) from None

    def _read(self, now: datetime) -> OperationsSnapshot:
        with self._engine.connect() as opened:
            connection = opened.execution_options(**{READ_ONLY: True})
            with connection.begin():
                trackers = tracker_figures(connection, now)
                return OperationsSnapshot(
                    sessions=session_counts(connection),
                    syncs=trackers.syncs,
                    failing_connections=trackers.failing,
                    last_sync=trackers.last_sync,
                    rate_limit_remaining=self._headroom.remaining(),
                    playbook_runs=playbook_run_counts(connection),
                    job_lag_seconds=job_lags(connection, now),
                    notification_deliveries=notification_delivery_counts(connection),
                )


def session_counts(connection: Connection) -> dict[tuple[str, str], int]:
    c = t.agent_sessions.c
    query = (
        select(c.status, c.tool, func.count())
        .where(c.status != "exited")
        .group_by(c.status, c.tool)
    )
    return {(status, tool): n for status, tool, n in connection.execute(query)}


@attrs.frozen
class TrackerFigures:
    syncs: dict[tuple[str, str], int]
    failing: dict[int, int]
    last_sync: dict[int, datetime]


def tracker_figures(connection: Connection, now: datetime) -> TrackerFigures:
    """Per connection, in one query whose subqueries each seek the (connection_id,
    started_at) index: a few rows a connection whatever the history holds."""
    runs, trackers = t.sync_runs.c, t.tracker_connections.c
    since = now - SYNC_WINDOW

    def recent(failed: ColumnElement[bool]) -> ScalarSelect[int]:
        mine = (runs.connection_id == trackers.id, runs.started_at >= since, failed)
        return select(func.count()).where(*mine).scalar_subquery()

    last = select(func.max(runs.started_at)).where(runs.connection_id == trackers.id)
    query = select(
        trackers.id,
        trackers.provider,
        trackers.last_error.is_not(None),
        recent(runs.error.is_(None)),
        recent(runs.error.is_not(None)),
        last.scalar_subquery(),
    )
    figures = TrackerFigures(syncs={}, failing={}, last_sync={})
    for id_, provider, failing, ok, failed, started in connection.execute(query):
        for result, n in (("ok", ok), ("error", failed)):
            key = (str(provider), result)
            figures.syncs[key] = figures.syncs.get(key, 0) + int(n)
        figures.failing[id_] = int(bool(failing))
        if started is not None:
            figures.last_sync[id_] = started
    return figures


def playbook_run_counts(connection: Connection) -> dict[str, int]:
    c = t.automation_runs.c
    query = select(c.status, func.count()).group_by(c.status)
    return {str(status): int(n) for status, n in connection.execute(query)}


def job_lags(connection: Connection, now: datetime) -> dict[str, float]:
    c = t.jobs.c
    query = select(c.name, c.next_run).where(c.enabled == true())
    return {
        name: max(0.0, (now - next_run).total_seconds())
        for name, next_run in connection.execute(query)
    }


def notification_delivery_counts(connection: Connection) -> dict[str, int]:
    c = t.notice_deliveries.c
    query = select(c.status, func.count()).group_by(c.status)
    return {str(status): int(n) for status, n in connection.execute(query)}
