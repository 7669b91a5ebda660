"""What the tmux servers of recorded sessions show, and what follows from it: pure decisions
beside the session use cases (sessions.py), which apply them.

Every server is named with the account it belongs to, looked up from the record each time
(`servers_of`): a record whose account no longer exists names no server, so nothing is done
there as anyone else, and its sessions read as exited.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from aiops.domain.errors import AccountRefused
from aiops.domain.model.sessions import (
    AgentSession,
    AgentStatus,
    PaneReading,
    StatusSource,
    decide_status,
    project_id_of,
)
from aiops.ports.linux_users import LinuxUsers
from aiops.ports.tmux import TmuxServer, TmuxSessions, TmuxWindow


def ended(session: AgentSession, now: datetime) -> AgentSession:
    """The record of a window that is gone (or stopped): exited from now, if not before."""
    if session.status is not AgentStatus.EXITED:
        session = attrs.evolve(
            session, status=AgentStatus.EXITED, status_since=now, status_source=StatusSource.PANE
        )
    return attrs.evolve(session, ended_at=session.ended_at or now)


def index_windows(windows: Iterable[TmuxWindow]) -> dict[tuple[str, str, str], TmuxWindow]:
    return {(w.socket, w.session, w.window): w for w in windows}


def window_of(session: AgentSession) -> tuple[str, str, str]:
    return session.tmux_socket, session.tmux_session, session.tmux_window


@attrs.frozen
class TmuxView:
    """What the tmux servers of some records showed in one listing (one call per server, as
    its account). A record whose account no longer exists names no server: its sessions count
    as gone, and nothing is done there as anyone else."""

    servers: Mapping[str, TmuxServer]  # by socket
    windows: Mapping[tuple[str, str, str], TmuxWindow]  # by (socket, session, window)
    unreadable: frozenset[str]  # sockets of servers that could not be read

    def server(self, session: AgentSession) -> TmuxServer | None:
        return server_of(self.servers, session)

    def unknown(self, session: AgentSession) -> bool:
        """Whether the record's server could not be read: its window may be there or not."""
        return self.server(session) is not None and session.tmux_socket in self.unreadable

    def window(self, session: AgentSession) -> TmuxWindow | None:
        return self.windows.get(window_of(session)) if self.server(session) else None

    def state_of(self, session: AgentSession, now: datetime) -> AgentSession:
        """The record as its window shows it now (`decide_status`): as recorded while its
        server cannot be read, ended when its account or window is gone. A hook's `exited`
        (the tool said its session ended) does not end the record: the tool may start again
        in the same window (Claude Code's /clear ends a session and starts one)."""
        if self.unknown(session):
            return session
        window = self.window(session)
        activity = window.last_activity if window else session.last_activity
        pane = PaneReading(
            alive=window is not None and window.alive,
            foreground=window.foreground if window else None,
            last_activity=activity,
        )
        current = attrs.evolve(decide_status(session, now=now, pane=pane), last_activity=activity)
        gone = current.status is AgentStatus.EXITED and current.status_source is StatusSource.PANE
        return ended(current, now) if gone else current


def servers_of(linux_users: LinuxUsers, sessions: Sequence[AgentSession]) -> dict[str, TmuxServer]:
    """The records' tmux servers by socket, each with its account as it is now (none for a
    record whose account no longer exists, or is now refused)."""
    accounts = {}
    for name in {s.linux_user for s in sessions}:
        try:
            account = linux_users.lookup(name)
        except AccountRefused:  # root, a system or denied account since: never acted as
            continue
        if account is not None:
            accounts[name] = account
    return {
        s.tmux_socket: TmuxServer(s.tmux_socket, accounts[s.linux_user])
        for s in reversed(sessions)  # the first record of a socket names its account
        if s.linux_user in accounts
    }


def server_of(servers: Mapping[str, TmuxServer], session: AgentSession) -> TmuxServer | None:
    """The record's server, only as the account the record names."""
    server = servers.get(session.tmux_socket)
    return server if server and server.account.name == session.linux_user else None


def look(tmux: TmuxSessions, linux_users: LinuxUsers, sessions: Sequence[AgentSession]) -> TmuxView:
    """List the records' servers, each as its account (one tmux call per server)."""
    servers = servers_of(linux_users, sessions)
    listing = tmux.windows(list(servers.values()))
    return TmuxView(servers, index_windows(listing.windows), listing.unreadable)


def plan_resync(
    recorded: Sequence[AgentSession], view: TmuxView, projects: Collection[int]
) -> tuple[list[AgentSession], dict[TmuxServer, list[str]]]:
    """The live records whose window is gone (not those on a server that could not be read),
    and the `-p<ID>` sessions of deleted projects on the servers read, by server."""
    missing = [
        s
        for s in recorded
        if s.status is not AgentStatus.EXITED and not view.unknown(s) and view.window(s) is None
    ]
    orphans = sorted(
        {
            (w.socket, w.session)
            for w in view.windows.values()
            if (pid := project_id_of(w.session)) is not None and pid not in projects
        }
    )
    by_server: dict[TmuxServer, list[str]] = {}
    for socket, name in orphans:
        by_server.setdefault(view.servers[socket], []).append(name)
    return missing, by_server
