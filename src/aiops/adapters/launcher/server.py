"""The launcher's socket: one thread per connection, requests answered in order.

A connection is accepted only from the service account (SO_PEERCRED: the kernel says who is
at the other end). A frame that cannot be read as a request gets an error reply and the
connection goes on; one that breaks the framing (too long, cut short) ends the connection.
A spawned process's descriptors go back with its reply (SCM_RIGHTS); the connection then
waits for the process to end and sends `{"exit": status}`, and closing it kills the process.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from typing import Any

from aiops.adapters.launcher.executor import Executor, Reply
from aiops.adapters.launcher.protocol import HEADER, MAX_FRAME, Refused, decode, encode, error

_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
DRAIN_SECONDS = 2.0


class _Handler(socketserver.BaseRequestHandler):
    server: LauncherServer
    request: socket.socket

    def handle(self) -> None:
        pid, uid, _ = _CREDENTIALS.unpack(
            self.request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
        )
        peer = f"uid={uid} pid={pid}"
        if uid != self.server.peer_uid:
            self.server.log("launcher.peer_refused", peer=peer)
            self._send(error("peer_refused", f"uid {uid} may not use the launcher"))
            self._drain()
            return
        while True:
            try:
                body = read_frame(self.request)
            except Refused as refused:
                self._send(error(refused.code, refused.message))
                self._drain()
                return
            if body is None:
                return
            try:
                reply = self.server.executor.execute(decode(body), peer)
            except Refused as refused:
                reply = Reply(error(refused.code, refused.message))
            if not self._answer(reply):
                return

    def _answer(self, reply: Reply) -> bool:
        """Send the reply (and its descriptors); with a child, wait for it. False: the
        connection is over."""
        try:
            self._send(reply.body, reply.fds)
        finally:
            for fd in reply.fds:
                os.close(fd)
        if reply.child is None:
            return True
        with selectors.DefaultSelector() as selector:
            exited = os.pidfd_open(reply.child.pid)
            selector.register(exited, selectors.EVENT_READ)
            selector.register(self.request, selectors.EVENT_READ)
            hung_up = any(key.fileobj is self.request for key, _ in selector.select())
            os.close(exited)
        if hung_up:  # the caller closed the connection (or wrote to it): stop the child
            reply.child.kill()
        status = reply.child.wait()
        if hung_up:
            return False
        self._send({"exit": status})
        return True

    def _drain(self) -> None:
        """After a broken frame: read what the peer still sends (a little, briefly) so that
        closing does not reset the connection before it reads the error."""
        self.request.shutdown(socket.SHUT_WR)
        self.request.settimeout(DRAIN_SECONDS)
        with contextlib.suppress(OSError):
            for _ in range(64):
                if not self.request.recv(65536):
                    break

    def _send(self, message: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
        frame = encode(message)
        if fds:
            socket.send_fds(self.request, [frame[:1]], list(fds))
            frame = frame[1:]
        self.request.sendall(frame)


def read_frame(connection: socket.socket) -> bytes | None:
    """One frame's body; None at a clean end of the stream between frames."""
    header = _read(connection, HEADER.size, allow_end=True)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise Refused("too_large", f"a frame of {size} bytes is over {MAX_FRAME}")
    return _read(connection, size, allow_end=False)


def _read(connection: socket.socket, size: int, *, allow_end: bool) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            if allow_end and not data:
                return None
            raise Refused("bad_frame", "the stream ended inside a frame")
        data += chunk
    return bytes(data)


class LauncherServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(
        self,
        path: str,
        *,
        executor: Executor,
        peer_uid: int,
        socket_gid: int | None = None,
        log: Callable[..., object] = lambda *_, **__: None,
    ) -> None:
        """Listen at `path`, created 0660 (group `socket_gid`) in one step: no chmod or chown
        by path afterwards, which a link planted meanwhile could redirect."""
        self.executor = executor
        self.peer_uid = peer_uid
        self.log = log
        if os.path.lexists(path):
            os.unlink(path)  # a stale socket of an earlier run (unlink never follows a link)
        with _creating(socket_gid):
            super().__init__(path, _Handler)

    def serve_until(self, stop: threading.Event) -> None:
        """Serve until `stop` is set (a signal handler or the parent's end sets it)."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2})
        thread.start()
        stop.wait()
        self.shutdown()
        thread.join()
        self.server_close()


class _creating:
    """umask 0117 (a socket of 0660) and, when given, the group it is made with."""

    def __init__(self, gid: int | None) -> None:
        self._gid = gid

    def __enter__(self) -> None:
        self._umask = os.umask(0o117)
        self._egid = os.getegid()
        if self._gid is not None:
            os.setegid(self._gid)

    def __exit__(self, *_: object) -> None:
        if self._gid is not None:
            os.setegid(self._egid)
        os.umask(self._umask)
