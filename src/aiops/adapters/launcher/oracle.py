"""Which accounts an aiops user is mapped to, asked of a child that runs as the service account.

The answer lives in the service's database; the launcher, being root, never opens it (a
SQLite database touched by root gains root-owned -wal and -shm files the service can no
longer write). So at start, before any thread exists, the launcher forks this child, which
becomes the service account for good, then builds its check (opening the database as the
service) and answers one name per line with `1` or `0`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable

from aiops.adapters.launcher.protocol import Refused
from aiops.adapters.launcher.switch import Account, become


class ServiceOracle:
    def __init__(self, service: Account, make_check: Callable[[], Callable[[str], bool]]) -> None:
        self._lock = threading.Lock()
        self._channel, theirs = socket.socketpair()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no branch - coverage cannot trace the frame that forked
            self._channel.close()  # pragma: no cover
            _answer(service, make_check, theirs)  # pragma: no cover
        theirs.close()

    def __call__(self, name: str) -> bool:
        with self._lock:
            try:
                self._channel.sendall(name.encode() + b"\n")
                answer = self._channel.recv(1)
            except OSError:  # the child is gone
                answer = b""
        if not answer:
            raise Refused("account_refused", "the account check has stopped: restart aiops")
        return answer == b"1"

    def close(self) -> None:
        """Hang up (the child then exits) and reap the child."""
        self._channel.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _answer(
    service: Account, make_check: Callable[[], Callable[[str], bool]], channel: socket.socket
) -> None:
    """The child: become the service account, build the check, then answer until the launcher
    hangs up. A question it cannot answer (the database is down) is a no."""
    become(service)
    mapped = make_check()
    with channel.makefile("rb") as questions:
        for line in questions:
            try:
                yes = mapped(line.decode(errors="replace").strip())
            except Exception:
                yes = False
            channel.sendall(b"1" if yes else b"0")
    os._exit(0)
