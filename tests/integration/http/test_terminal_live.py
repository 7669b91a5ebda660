"""The terminal's WebSocket behind uvicorn on a loopback port, with a real WebSocket client
(`websockets`): the handshake's refusals are HTTP statuses on the wire, a writer's keystrokes
reach the pty, signing out closes the socket with 4401, a flood to a browser that stops
reading leaves the server's memory bounded, and 50 terminals on one server each get their
output."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from aiops.entrypoints.http.app import create_app
from aiops.entrypoints.http.terminal import MAX_FRAME, TerminalTiming
from tests.integration.http.conftest import World, csrf, sign_in
from tests.integration.http.sse import serving
from tests.integration.http.test_terminal import Term, term

__all__ = ["term"]


def _open(base: str, term: Term, origin: str | None = None) -> ClientConnection:
    token = csrf(term.client, "/profile")
    url = base.replace("http://", "ws://") + f"/sessions/{term.session_id}/terminal?csrf={token}"
    cookie = f"aiops_session={term.client.cookies['aiops_session']}"
    return connect(
        url,
        origin=Origin(origin or base),
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )


def _screen_until(ws: ClientConnection, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        frame = ws.recv(timeout=10)
        if isinstance(frame, bytes):
            seen += frame
    return seen


def _closed(ws: ClientConnection) -> tuple[dict[str, str], int | None]:
    """The last text frame (the `closed` message) and the close code the server sent."""
    said: dict[str, str] = {}
    try:
        while True:
            frame = ws.recv(timeout=10)
            if isinstance(frame, str):
                said = json.loads(frame)
    except ConnectionClosed as gone:
        return said, gone.rcvd.code if gone.rcvd else None


def test_over_uvicorn_a_foreign_origin_is_403_and_a_writer_types(term: Term) -> None:
    sign_in(term.client, World.MEMBER)
    asgi = create_app(term.sessions.app)
    asgi.state.terminal_timing = TerminalTiming(recheck_seconds=0.3)

    with serving(asgi) as base:
        with pytest.raises(InvalidStatus) as refused:
            _open(base, term, origin="https://evil.example")
        with _open(base, term) as ws:
            hello = json.loads(ws.recv(timeout=10))
            _screen_until(ws, b"ready")
            ws.send(b"typed over the wire\n")
            echoed = _screen_until(ws, b"typed over the wire")
            term.client.post("/logout", data={"csrf_token": csrf(term.client, "/profile")})
            said, code = _closed(ws)

    assert refused.value.response.status_code == 403
    assert hello == {"type": "hello", "read_only": False, "session": term.session_id}
    assert b"typed over the wire" in echoed
    assert (said["reason"], code) == ("signed-out", 4401)


def _rss_kib() -> int:
    """This process's resident memory (the server runs in a thread of it)."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.mark.slow
def test_over_uvicorn_a_flood_to_a_browser_that_stops_reading_keeps_memory_bounded(
    term: Term,
) -> None:
    term.pty.flood = True
    sign_in(term.client, World.MEMBER)

    with serving(create_app(term.sessions.app)) as base, _open(base, term) as ws:
        json.loads(ws.recv(timeout=10))
        first = ws.recv(timeout=10)
        before = _rss_kib()
        time.sleep(2)  # the browser lags: nothing is read
        after = _rss_kib()
        caught_up = [ws.recv(timeout=10) for _ in range(200)]  # the screen still comes

    assert isinstance(first, bytes)
    assert all(isinstance(frame, bytes) and len(frame) <= MAX_FRAME for frame in caught_up)
    assert after - before < 64 * 1024, f"the server grew {after - before} KiB in 2 s"


@pytest.mark.slow
def test_over_uvicorn_fifty_terminals_each_get_their_output(term: Term) -> None:
    term.pty.tick = True
    sign_in(term.client, World.MEMBER)

    with serving(create_app(term.sessions.app)) as base, ExitStack() as stack:
        sockets = [stack.enter_context(_open(base, term)) for _ in range(50)]
        hellos = [json.loads(ws.recv(timeout=20))["type"] for ws in sockets]
        ticks = [_screen_until(ws, b"tick\r\ntick\r\ntick") for ws in sockets]

    assert hellos == ["hello"] * 50
    assert all(b"tick" in seen for seen in ticks)
    assert len(term.pty.clients) == 50
