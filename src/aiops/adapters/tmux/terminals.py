"""LauncherTerminals: the Terminals port as a `tmux attach-session` client on a pty, started by
the launcher as the account that owns the server (issue 17).

The server and its socket are the account's, so the client must be too: a tmux client does
what its server tells it (a hook's `run-shell` runs in the server, but a client's file I/O and
its terminal are the client's own), and whatever that is, it is done with the account's
rights. Never a client of aiops's own (root or the service account) on a user's socket.

The pty's master comes back to the caller, who reads the screen from it and writes keys to it.
Backpressure is the kernel's and tmux's: while nobody reads, the pty's buffer fills, the client
stops reading its socket, and the server stops sending and redraws the whole screen when the
client catches up; nothing grows in this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import struct
import termios

from aiops.adapters.launching import AccountLauncher, ActFailed, LauncherUnavailable, Spawned
from aiops.adapters.tmux.commands import session_target, window_target
from aiops.adapters.tmux.launcher_sessions import (
    TmuxCommandFailed,
    _checked,
    _failure,
    run_tmux,
)
from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model.sessions import tmux_name
from aiops.ports.terminals import TerminalClient
from aiops.ports.tmux import TmuxServer

MAX_SIDE = 1000
# What the client tells tmux of its terminal: an xterm with 256 colours and true colour (tmux
# 3.3 takes RGB from `-T`, not from COLORTERM, which is for the programs that read it), in
# UTF-8 (`-u`: else tmux draws non-ASCII characters as `_`).
TERMINAL_ENV = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8"}
FEATURES = ("-u", "-T", "RGB")
# A watcher's client: tmux ignores its keys (but those bound to detach-client and
# switch-client, so callers still drop a watcher's input) and its size.
READ_ONLY = ("-f", "read-only,ignore-size")
GROUP_PREFIX = "aiops-term-"  # each client's own session (see _own_view)


class LauncherTerminals:
    def __init__(self, *, launcher: AccountLauncher, timeout: float = 5) -> None:
        self._launcher = launcher
        self._timeout = timeout

    def attach(
        self,
        server: TmuxServer,
        session: str,
        window: str,
        *,
        read_only: bool,
        cols: int,
        rows: int,
    ) -> TerminalClient:
        target = window_target(session, window)
        size = _size(cols, rows)
        server = _checked(server)
        self._prepare(server, target, f"window {session}:{window}")
        args = [*FEATURES, "-S", server.socket, *_own_view(session, window, read_only)]
        try:
            spawned = self._launcher.spawn(
                server.account,
                "tmux",
                args,
                cwd=server.account.home,
                env=TERMINAL_ENV,
                pty=True,
            )
        except ActFailed as failed:
            raise TmuxCommandFailed(
                f"tmux could not attach as {server.account.name}: {failed.message}"
            ) from None
        client = LauncherTerminalClient(spawned)
        client.resize(*size)
        return client

    def _prepare(self, server: TmuxServer, target: str, what: str) -> None:
        """NotFound unless the window is there (the client itself would only print tmux's
        message on the screen and exit): list-panes, not display-message, which falls back to
        the current window when the target is missing. In the same call the window is sized
        to the smallest of its clients (a watcher's size does not count), so two people typing
        on a laptop and a phone both see all of it, and one alone has it at their size."""
        found = ("list-panes", "-t", target, "-F", "#{window_id}")
        smallest = ("set-option", "-w", "-t", target, "window-size", "smallest")
        result = run_tmux(self._launcher, server, [*found, ";", *smallest], self._timeout)
        if result.stdout.startswith(b"@"):  # printed: the window is there, whatever a hook did
            return
        if result.returncode == 0:  # nothing printed: no such window
            raise NotFound(f"{what} is not running")
        raise _failure(result, what)


def _own_view(session: str, window: str, read_only: bool) -> list[str]:
    """The client's commands: a tmux session of its own grouped with the window's (the same
    windows, its own current one), on that window, then attached. Attaching to the window's
    session itself would make the window that session's current one for every other client
    of it: a second terminal on another window of the project, the user's own ssh attach.
    The group session takes the mouse (a browser's wheel scrolls tmux's history, in copy
    mode, rather than sending arrow keys to the program) and goes away with its client
    (destroy-unattached). Its name is no project's (`aiops-term-...`), so the listing and the
    resync leave it alone."""
    group = f"{GROUP_PREFIX}{secrets.token_hex(6)}"
    # After new-session, the commands of the same line act on the new session (tmux resolves
    # a `-t =name` of a later command before the session exists, so none is given).
    return [
        "new-session", "-d", "-t", session_target(session), "-s", group, ";",
        "set-option", "mouse", "on", ";",
        "select-window", "-t", f":={tmux_name(window, field='window')}", ";",
        "attach-session", *(READ_ONLY if read_only else ()), ";",
        "set-option", "destroy-unattached", "on",
    ]  # fmt: skip


class LauncherTerminalClient:
    """The running client: its pty's master (non-blocking) and how to stop it."""

    def __init__(self, spawned: Spawned) -> None:
        self._spawned = spawned
        self._fd = spawned.fds[0]
        for extra in spawned.fds[1:]:
            os.close(extra)
        os.set_blocking(self._fd, False)
        os.set_inheritable(self._fd, False)  # a descriptor from the launcher's socket may not
        self._closed = False  # be close-on-exec: no program started later may type into it

    def fileno(self) -> int:
        return self._fd

    def resize(self, cols: int, rows: int) -> None:
        """The pty's size; the kernel signals the client (SIGWINCH), which tells tmux. Set right
        after the spawn, it is never lost: tmux reads the size when the client identifies, and
        the client handles SIGWINCH before it connects."""
        if self._closed:
            return
        cols, rows = _size(cols, rows)
        fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def close(self) -> None:
        """Stop the client (killed in process, or by the launcher once its connection closes)
        and reap it; the window and its program go on."""
        if self._closed:
            return
        self._closed = True
        self._spawned.stop()
        with contextlib.suppress(OSError, ActFailed, LauncherUnavailable):
            self._spawned.wait()
        os.close(self._fd)


def _size(cols: int, rows: int) -> tuple[int, int]:
    if not (1 <= cols <= MAX_SIDE and 1 <= rows <= MAX_SIDE):
        raise ValidationError("size", f"{cols}x{rows} is not within 1x1 and 1000x1000")
    return cols, rows
