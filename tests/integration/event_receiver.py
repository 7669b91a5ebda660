"""A receiving end for `aiops agent-event` in tests: a unix socket speaking the server's
newline JSON (one reply line per request line), recording what it got. Any account may
connect (0666), as to the server's own socket, which checks the peer itself."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs


@attrs.define
class Received:
    """What a receiving server got: each request (and for HTTP its path and headers), and how
    it answers: `reply` (with `status` over HTTP), or not at all when it `hang`s."""

    bodies: list[dict[str, Any]] = attrs.field(factory=list)
    headers: list[dict[str, str]] = attrs.field(factory=list)
    paths: list[str] = attrs.field(factory=list)
    reply: dict[str, Any] = attrs.field(factory=lambda: {"ok": True, "status": "waiting"})
    status: int = 202
    hang: bool = False


@contextmanager
def receiving_socket(path: Path, received: Received) -> Iterator[None]:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    path.chmod(0o666)
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection, connection.makefile("rwb") as stream:
                for line in stream:
                    received.bodies.append(json.loads(line))
                    if received.hang:
                        stop.wait(5)
                        break
                    stream.write(json.dumps(received.reply).encode() + b"\n")
                    stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()
