"""TmuxSessions: tmux servers (one per Linux account, reached through its socket path), their
project sessions and the windows agents run in.

Every call names the server as a socket *and* the account that owns it: the adapter runs each
tmux client as that account, so whatever the server makes the client do (a hook's
`save-buffer`, say) is done with the account's rights, never aiops's. Every name it is given
is a domain-validated tmux name; every command is an argv list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from aiops.ports.linux_users import LinuxAccount


@attrs.frozen
class TmuxServer:
    """An account's tmux server: where its socket is, and whom to be when talking to it."""

    socket: str
    account: LinuxAccount


@attrs.frozen(kw_only=True)
class WindowSpec:
    """A window to have: where (socket, session, window), run as whom, in which folder, what.

    `argv` is run directly, or through the account's login shell when `login_shell` is set (so
    .profile and .bashrc load); either way no user text is ever parsed by a shell. `env` is the
    window's own environment (this window only), on top of the account's HOME, USER, LOGNAME and
    SHELL (which it cannot override), a default PATH and LANG (which it can) and tmux's TERM and
    TMUX: nothing of aiops's own environment is inherited. A login shell's profile may set PATH
    again. `secret_env` values never appear in a command line."""

    socket: str
    session: str
    window: str
    account: LinuxAccount
    cwd: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = attrs.field(factory=dict)
    secret_env: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    login_shell: bool = True

    @property
    def server(self) -> TmuxServer:
        return TmuxServer(self.socket, self.account)


@attrs.frozen(kw_only=True)
class Launched:
    window: TmuxWindow
    created: bool  # False: the window was there already and has been selected instead


@attrs.frozen(kw_only=True)
class TmuxWindow:
    socket: str
    session: str
    window: str
    pane_pid: int | None = None
    foreground: str | None = None  # the pane's current command (its foreground process)
    alive: bool = True  # False when the pane's process has exited (pane dead)
    last_activity: datetime | None = None


@attrs.frozen(kw_only=True)
class TmuxListing:
    """What a listing found: the windows of the servers it read, and the sockets of those it
    could not read (tmux failed or did not answer), whose windows are unknown rather than gone.
    A server that is not running, or whose account aiops may no longer act as, has no
    windows."""

    windows: tuple[TmuxWindow, ...] = ()
    unreadable: frozenset[str] = frozenset()


class TmuxSessions(Protocol):
    def launch(self, spec: WindowSpec) -> Launched:
        """Start the server and session when missing, then the window; when the window exists,
        select it (focus) instead of starting a second one."""
        ...

    def windows(self, servers: Sequence[TmuxServer]) -> TmuxListing:
        """Every window of every session on these servers: one tmux call per server, however
        many sessions it holds."""
        ...

    def capture(self, server: TmuxServer, session: str, window: str, *, lines: int = 200) -> str:
        """The pane's visible text and up to `lines` of its history."""
        ...

    def send_text(self, server: TmuxServer, session: str, window: str, text: str) -> None:
        """Type `text` literally (send-keys -l), then Enter as its own key."""
        ...

    def kill_window(self, server: TmuxServer, session: str, window: str) -> None:
        """Gone afterwards; a missing one (or a server aiops may no longer act for) is no
        error."""
        ...

    def kill_sessions(self, server: TmuxServer, sessions: Sequence[str]) -> None:
        """As kill_window, for whole sessions of one server (in one tmux call where it can)."""
        ...
