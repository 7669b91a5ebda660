"""SqlAgentSessionRepository: the AI coding sessions aiops launched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.repositories import _EntityTable
from aiops.domain.model.sessions import AgentSession, AgentStatus, Tool


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
    )


class SqlAgentSessionRepository(_EntityTable[AgentSession]):
    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, t.agent_sessions, "session", agent_session_from_row)

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
