"""A fake of the terminals port (ports/terminals.py): a real pty running a small program as the
current user, standing in for a tmux client. The program prints a first screen, then echoes
what is typed (and keeps it in `received`); a watcher's program drops its input unread and
echoes nothing, as tmux ignores a read-only client's keys."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import signal
import struct
import subprocess
import tempfile
import termios
import tty
from pathlib import Path

from aiops.domain.errors import NotFound, ValidationError
from aiops.ports.tmux import TmuxServer

WRITER = "stty raw -echo; printf 'fake terminal %s\\r\\n' {target}; exec tee -a {received}"
WATCHER = (
    "stty raw -echo; printf 'fake terminal %s (read-only)\\r\\n' {target}; exec cat >/dev/null"
)


class FakeTerminalClient:
    def __init__(self, target: str, *, read_only: bool, cols: int, rows: int) -> None:
        self.target = target
        self.read_only = read_only
        self.sizes: list[tuple[int, int]] = []
        self.closed = False
        handle, name = tempfile.mkstemp(prefix="aiops-fake-terminal-")
        os.close(handle)
        self._received = Path(name)
        script = (WATCHER if read_only else WRITER).format(
            target=shlex.quote(target), received=shlex.quote(name)
        )
        self._fd, theirs = os.openpty()
        tty.setraw(theirs)  # before the program runs: keys typed at once stay as typed (\r)
        self.resize(cols, rows)
        try:
            self._process = subprocess.Popen(
                ["/bin/sh", "-c", script],
                stdin=theirs,
                stdout=theirs,
                stderr=theirs,
                start_new_session=True,
            )
        finally:
            os.close(theirs)
        os.set_blocking(self._fd, False)

    @property
    def received(self) -> bytes:
        """What reached the "window" (always b"" for a watcher)."""
        return self._received.read_bytes()

    def fileno(self) -> int:
        return self._fd

    def resize(self, cols: int, rows: int) -> None:
        if self.closed:
            return
        fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.sizes.append((cols, rows))

    def end(self) -> None:
        """The program ends (as a client does when its user detaches or the window goes):
        reading the pty then fails with EIO."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.end()
        os.close(self._fd)
        self._received.unlink(missing_ok=True)


class FakeTerminals:
    """`windows` holds the (socket, session, window) that exist; `clients` every client
    attached, closed or not (tests close what they leave open with `close_all`)."""

    def __init__(self) -> None:
        self.windows: set[tuple[str, str, str]] = set()
        self.clients: list[FakeTerminalClient] = []
        self.accounts: list[str] = []  # as whom each client ran (the server's account)

    def add_window(self, server: TmuxServer, session: str, window: str) -> None:
        self.windows.add((server.socket, session, window))

    def attach(
        self,
        server: TmuxServer,
        session: str,
        window: str,
        *,
        read_only: bool,
        cols: int,
        rows: int,
    ) -> FakeTerminalClient:
        if not (1 <= cols <= 1000 and 1 <= rows <= 1000):
            raise ValidationError("size", f"{cols}x{rows} is not within 1x1 and 1000x1000")
        if (server.socket, session, window) not in self.windows:
            raise NotFound(f"window {session}:{window} is not running")
        client = FakeTerminalClient(
            f"{session}:{window}", read_only=read_only, cols=cols, rows=rows
        )
        self.clients.append(client)
        self.accounts.append(server.account.name)
        return client

    def close_all(self) -> None:
        for client in self.clients:
            client.close()
