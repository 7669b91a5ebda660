"""The live board of sessions (issue 18): what the pages show as it changes, read from the
database alone. The status fields are the stored ones (`status`, `status_since`,
`status_source`), kept up to date by the agent events and the pane refresh; nothing here asks
tmux, so a stream may read the board as often as the sessions change.

A web worker polls SessionChangesMarker (one small query) and reads the live sessions only
when the marker moved, once for all its streams; each stream cuts its viewer's board from that
read (`board_for`). The database is the bus, whichever worker or process made the change.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from aiops.domain.model.access import Actor
from aiops.domain.model.sessions import AgentSession, AgentStatus
from aiops.domain.usecases.sessions import may_see
from aiops.ports.unit_of_work import SessionChanges, UnitOfWorkFactory


@attrs.frozen(kw_only=True)
class BoardEntry:
    session: AgentSession
    mine: bool  # the actor's own session (their tab title counts it when it waits)


@attrs.frozen(kw_only=True)
class SessionBoard:
    entries: tuple[BoardEntry, ...]
    marker: SessionChanges  # read before the sessions: a later change moves it again

    @property
    def waiting_mine(self) -> int:
        return waiting_mine(self.entries)


def waiting_mine(entries: tuple[BoardEntry, ...]) -> int:
    """How many of the actor's own sessions wait for them."""
    return sum(1 for e in entries if e.mine and e.session.status is AgentStatus.WAITING)


@attrs.frozen(kw_only=True)
class LiveSessions:
    """Every live session and each project's tenant, read at `marker`: what each viewer's
    board is cut from (a web worker reads it once per change for all its streams)."""

    sessions: tuple[AgentSession, ...]
    tenants: Mapping[int, int]  # project id -> tenant id
    marker: SessionChanges


def board_for(actor: Actor, live: LiveSessions) -> SessionBoard:
    """The sessions the actor may see (as ListSessions decides, `may_see`), oldest first,
    each marked whether it is the actor's own."""
    entries = tuple(
        BoardEntry(session=s, mine=s.user_id == actor.user_id)
        for s in live.sessions
        if may_see(actor, s, live.tenants.get(s.project_id))
    )
    return SessionBoard(entries=entries, marker=live.marker)


class ReadLiveSessions:
    """One read of every live session, the projects' tenants and the marker (marker first: a
    change after it moves it again)."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self) -> LiveSessions:
        with self._uow(read_only=True) as uow:
            marker = uow.agent_sessions.changes_marker()
            sessions = tuple(uow.agent_sessions.list(live=True))
            tenants = uow.projects.tenant_ids()  # one read, not one per session
        return LiveSessions(sessions=sessions, tenants=tenants, marker=marker)


class ReadSessionBoard:
    """The actor's board (a page's first look, e.g. the Issues rows' badges)."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._read = ReadLiveSessions(uow=uow)

    def __call__(self, actor: Actor) -> SessionBoard:
        return board_for(actor, self._read())


class SessionChangesMarker:
    """The sessions' change marker alone: what a live stream polls between board reads."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self) -> SessionChanges:
        with self._uow(read_only=True) as uow:
            return uow.agent_sessions.changes_marker()
