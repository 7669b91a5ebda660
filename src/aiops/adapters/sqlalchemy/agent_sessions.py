"""SqlAgentSessionRepository: the AI coding sessions aiops launched; SqlAgentEventRepository:
every status they went through (issue 18)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, case, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.repositories import _EntityTable
from aiops.domain.model.sessions import (
    AgentEvent,
    AgentSession,
    AgentStatus,
    StatusSource,
    Tool,
)
from aiops.ports.unit_of_work import SessionChanges

LIVE_STATUSES = tuple(s for s in AgentStatus if s is not AgentStatus.EXITED)


def agent_session_from_row(row: Row[Any]) -> AgentSession:
    return AgentSession(
        id=row.id,
        user_id=row.user_id,
        project_id=row.project_id,
        tool=Tool(row.tool),
        issue_id=row.issue_id,
        linux_user=row.linux_user,
        tmux_socket=row.tmux_socket,
        tmux_session=row.tmux_session,
        tmux_window=row.tmux_window,
        status=AgentStatus(row.status),
        started_at=row.started_at,
        last_activity=row.last_activity,
        ended_at=row.ended_at,
        shared=row.shared,
        status_since=row.status_since,
        status_source=StatusSource(row.status_source),
    )


class SqlAgentSessionRepository(_EntityTable[AgentSession]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.agent_sessions, "session", agent_session_from_row)

    def delete(self, session_id: int) -> None:
        self._c.execute(delete(t.agent_events).where(t.agent_events.c.session_id == session_id))
        self._c.execute(delete(t.agent_sessions).where(t.agent_sessions.c.id == session_id))

    def list(
        self,
        *,
        project_id: int | None = None,
        user_id: int | None = None,
        live: bool = False,
    ) -> Sequence[AgentSession]:
        c = t.agent_sessions.c
        criteria: list[ColumnElement[bool]] = []
        if project_id is not None:
            criteria.append(c.project_id == project_id)
        if user_id is not None:
            criteria.append(c.user_id == user_id)
        if live:
            criteria.append(c.status != AgentStatus.EXITED.value)
        return self._many(*criteria)

    def changes_marker(self) -> SessionChanges:
        """One statement: aggregates over the live sessions and the newest agent event."""
        c = t.agent_sessions.c
        newest_event = select(func.coalesce(func.max(t.agent_events.c.id), 0)).scalar_subquery()
        counts = [
            func.coalesce(func.sum(case((c.status == s.value, 1), else_=0)), 0)
            for s in LIVE_STATUSES
        ]
        row = self._c.execute(
            select(
                newest_event,
                func.coalesce(func.max(c.id), 0),
                func.coalesce(func.sum(case((c.shared, 1), else_=0)), 0),
                func.max(c.status_since),
                *counts,
            ).where(c.status != AgentStatus.EXITED.value)
        ).one()
        return SessionChanges(
            last_event_id=int(row[0]),
            last_session_id=int(row[1]),
            shared=int(row[2]),
            last_status_since=row[3],
            by_status=tuple(int(n) for n in row[4:]),
        )


def agent_event_from_row(row: Row[Any]) -> AgentEvent:
    return AgentEvent(
        id=row.id,
        session_id=row.session_id,
        event_id=row.event_id,
        event=row.event,
        status=AgentStatus(row.status),
        source=StatusSource(row.source),
        at=row.at,
    )


def _event_row(event: AgentEvent) -> dict[str, object]:
    return {
        "session_id": event.session_id,
        "event_id": event.event_id,
        "event": event.event,
        "status": event.status.value,
        "source": event.source.value,
        "at": event.at,
    }


class SqlAgentEventRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, event: AgentEvent) -> bool:
        row = _event_row(event)
        try:
            # A savepoint: a replay refused by the unique constraint must not abort the
            # transaction (a batch holds other sessions' events).
            with self._c.begin_nested():
                self._c.execute(insert(t.agent_events).values(row))
        except IntegrityError:
            return False
        return True

    def seen(self, keys: Collection[tuple[int, str]]) -> set[tuple[int, str]]:
        e = t.agent_events.c
        found: set[tuple[int, str]] = set()
        ordered = sorted(keys)
        for start in range(0, len(ordered), 500):  # within every driver's parameter limit
            chunk = ordered[start : start + 500]
            rows = self._c.execute(
                select(e.session_id, e.event_id).where(
                    e.session_id.in_({session_id for session_id, _ in chunk}),
                    e.event_id.in_({event_id for _, event_id in chunk}),
                )
            )
            found |= {(row.session_id, row.event_id) for row in rows}
        return found & set(keys)

    def add_many(self, events: Sequence[AgentEvent]) -> bool:
        if not events:
            return True
        try:
            with self._c.begin_nested():  # one statement, many rows (executemany)
                self._c.execute(insert(t.agent_events), [_event_row(e) for e in events])
        except IntegrityError:
            return False
        return True

    def list(self, session_id: int, limit: int = 100) -> Sequence[AgentEvent]:
        e = t.agent_events.c
        rows = self._c.execute(
            select(t.agent_events)
            .where(e.session_id == session_id)
            .order_by(e.id.desc())
            .limit(limit)
        )
        return [agent_event_from_row(row) for row in rows]
