"""PtyTerminals: the Terminals port on a real pty running a small program as the current user,
for the WebSocket's tests (the real adapter, LauncherTerminals, runs `tmux attach` as the
window's account). It does not drop a read-only client's input itself: the program records
every byte that reaches it, so a test sees whether the server wrote any."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from pathlib import Path

import attrs

from aiops.domain.errors import NotFound
from aiops.ports.tmux import TmuxServer

# Prints "ready", then records its input in argv[1] (the pty echoes it back as a terminal
# does); with argv[2] == "flood", prints lines without end instead.
PROGRAM = """
import os, sys
if sys.argv[2] == "flood":
    line = b"y" * 79 + b"\\n"
    while True:
        os.write(1, line * 64)
os.write(1, b"ready\\r\\n")
with open(sys.argv[1], "ab", buffering=0) as log:
    while True:
        data = os.read(0, 4096)
        if not data:
            break
        log.write(data)
"""


@attrs.define
class PtyClient:
    fd: int
    process: subprocess.Popen[bytes]
    read_only: bool
    sizes: list[tuple[int, int]]
    closed: bool = False

    def fileno(self) -> int:
        return self.fd

    def resize(self, cols: int, rows: int) -> None:
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.sizes.append((cols, rows))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.process.kill()
        self.process.wait(timeout=5)
        os.close(self.fd)


@attrs.define
class PtyTerminals:
    """Each attach starts the program on a fresh pty; `typed` is what reached the programs."""

    folder: Path
    flood: bool = False
    tick: bool = False  # a cheap shell printing "tick" every 0.1 s instead (load tests)
    missing: set[str] = attrs.field(factory=set)  # windows to report gone
    clients: list[PtyClient] = attrs.field(factory=list)

    @property
    def typed(self) -> bytes:
        log = self.folder / "typed"
        return log.read_bytes() if log.exists() else b""

    def attach(
        self,
        server: TmuxServer,
        session: str,
        window: str,
        *,
        read_only: bool,
        cols: int,
        rows: int,
    ) -> PtyClient:
        if window in self.missing:
            raise NotFound(f"window {session}:{window} does not exist")
        master, slave = os.openpty()
        mode = "flood" if self.flood else "record"
        argv = [sys.executable, "-c", PROGRAM, str(self.folder / "typed"), mode]
        if self.tick:
            argv = ["sh", "-c", "while :; do echo tick; sleep 0.1; done"]
        process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        os.set_blocking(master, False)
        client = PtyClient(master, process, read_only, [])
        client.resize(cols, rows)
        self.clients.append(client)
        return client
