"""Terminals: a tmux client attached to one window of an account's tmux server, on a pty, as
that account (issue 17). The browser's terminal and `aiops session attach` read the screen from
it and write keystrokes to it; tmux itself redraws the whole screen on attach and after a
client that fell behind catches up, so a reader that stops reading never loses the screen,
only the bytes in between.
"""

from __future__ import annotations

from typing import Protocol

from aiops.ports.tmux import TmuxServer


class TerminalClient(Protocol):
    def fileno(self) -> int:
        """The pty's master side, non-blocking: read the screen's bytes (b"" or OSError EIO:
        the client ended), write keystrokes. Never write a read-only client's input: tmux
        ignores its keys but those bound to detach-client and switch-client, and the latter
        would show the watcher the account's other tmux sessions."""
        ...

    def resize(self, cols: int, rows: int) -> None:
        """The client's size; tmux sizes the window to its clients (a read-only client's size
        is ignored)."""
        ...

    def close(self) -> None:
        """Detach: ends this client only; the window and its program go on. Idempotent."""
        ...


class Terminals(Protocol):
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
        """A tmux client on that window (exact names, as the server's account), sized
        `cols` x `rows`, with TERM=xterm-256color and true colour. NotFound when the window is
        gone."""
        ...
