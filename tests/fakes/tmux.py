"""A fake of the tmux sessions port (ports/tmux.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import attrs

from aiops.domain.errors import (
    AccountRefused,
)
from aiops.domain.model.sessions import SessionRefused
from aiops.ports.tmux import Launched, TmuxListing, TmuxServer, TmuxWindow, WindowSpec
from tests.fakes.basics import FakeClock


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
