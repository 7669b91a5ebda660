"""The terminal's WebSocket, /sessions/{id}/terminal?csrf=TOKEN&cols=C&rows=R (issue 17): a
tmux client on the session's window, attached as the window's account, relayed to the browser.

The protocol (shared with static/terminal.js): binary frames are screen bytes (server ->
browser) and keystrokes (browser -> server); text frames are JSON: `hello` (first, once, with
`read_only`), `closed` (`reason`: ended|idle|signed-out|revoked|error, then the close code of
CLOSE_CODES), `pong`; from the browser `resize` (cols, rows) and `ping`.

Before accepting: the Origin must be this site (cross-site WebSocket hijacking: a page
elsewhere cannot use the victim's cookie), the session cookie a signed-in user's, the CSRF
token in the query the session's, and the session one the user may see (`OpenTerminal`).

After: two pumps and a watchdog. Screen bytes are read from the pty only as fast as they are
sent (one send in flight, at most 64 KiB a frame): a slow browser leaves the bytes in the pty
and tmux holds the rest, then redraws; the server's memory per terminal stays bounded.
Keystrokes are written to the pty unless the grant is read-only. The watchdog closes an idle
terminal and, every `recheck_seconds`, loads the user again: signed out -> 4401, no longer
allowed -> 4403. On the way out the client is always closed and the detach audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import TypeGuard
from urllib.parse import urlsplit

import anyio
import attrs
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from aiops.adapters.errors import AdapterError
from aiops.container import Container
from aiops.domain.errors import DomainError, NotFound
from aiops.domain.model.access import Actor
from aiops.domain.usecases.auth import SessionCookie
from aiops.domain.usecases.terminals import (
    GrantCheck,
    OpenTerminalCommand,
    SessionEnded,
    TerminalGrant,
)
from aiops.log import get_logger
from aiops.ports.terminals import TerminalClient, Terminals

log = get_logger(__name__)

MAX_FRAME = 64 * 1024  # bytes read from the pty per frame (one frame in flight)
SIZE_RANGE = range(1, 1001)
CLOSE_CODES = {"ended": 1000, "idle": 1000, "signed-out": 4401, "revoked": 4403, "error": 1011}
MESSAGES = {
    "ended": "the session's terminal has ended",
    "idle": "closed after no input and no output for a while",
    "signed-out": "you signed out",
    "revoked": "you may no longer use this terminal",
}


@attrs.frozen
class TerminalTiming:
    idle_seconds: float = 3600.0  # AIOPS_TERMINAL_IDLE_MINUTES
    recheck_seconds: float = 15.0  # how often the sign-in and the grant are checked again


@attrs.frozen
class Opened:
    """A handshake that passed: who, their cookie, their grant, the browser's size."""

    actor: Actor
    cookie: SessionCookie
    grant: TerminalGrant
    cols: int = 80
    rows: int = 24


@attrs.frozen
class Closed:
    """Why a terminal ends (a reason of the protocol), and what the browser is told."""

    reason: str
    message: str = ""


class Refused(Exception):
    """A handshake refused before accept, as an HTTP response."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether the Origin header names this site: http(s) and the very host[:port] the
    browser asked for (what the app knows of its origin: it has no configured public URL)."""
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def size(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) not in SIZE_RANGE:
        raise Refused(400, "cols and rows must be whole numbers from 1 to 1000")
    return int(value)


def _container(websocket: WebSocket) -> Container:
    app: Container = websocket.app.state.container
    return app


async def _signed_in(websocket: WebSocket) -> tuple[Actor, SessionCookie]:
    """Who holds the cookie, checked as pages check it (the same session generation)."""
    user_id, generation = websocket.session.get("uid"), websocket.session.get("gen")
    if not (isinstance(user_id, int) and isinstance(generation, int)):
        raise Refused(403, "sign in first")
    cookie = SessionCookie(user_id=user_id, session_generation=generation)
    viewer = await run_in_threadpool(_container(websocket).load_viewer(), cookie)
    if viewer is None:
        raise Refused(403, "sign in first")
    return viewer.actor, cookie


async def _handshake(websocket: WebSocket) -> Opened:
    if not same_origin(websocket.headers.get("origin"), websocket.headers.get("host")):
        raise Refused(403, "this terminal opens only from this site's pages")
    actor, cookie = await _signed_in(websocket)
    expected, sent = websocket.session.get("csrf"), websocket.query_params.get("csrf", "")
    if not (isinstance(expected, str) and sent and hmac.compare_digest(sent, expected)):
        raise Refused(403, "the page's security token is missing or stale: reload the page")
    cmd = OpenTerminalCommand(
        session_id=websocket.path_params["session_id"],
        actor=actor,
        watch=websocket.query_params.get("view") == "preview",
    )
    try:
        grant = await run_in_threadpool(_container(websocket).open_terminal(), cmd)
    except NotFound as error:
        raise Refused(404, error.message) from None
    return Opened(actor, cookie, grant)


async def terminal(websocket: WebSocket) -> None:
    try:
        cols = size(websocket.query_params.get("cols"), 80)
        rows = size(websocket.query_params.get("rows"), 24)
        opened = attrs.evolve(await _handshake(websocket), cols=cols, rows=rows)
    except Refused as refused:
        await _deny(websocket, refused)
        return
    except SessionEnded as ended:
        await websocket.accept()
        await _close(websocket, Closed("ended", ended.message))
        return
    except AdapterError as error:  # tmux or the launcher could not be asked
        log.warning("terminal.refused", error=str(error))
        await _deny(websocket, Refused(503, "the session's tmux server cannot be reached now"))
        return
    app = _container(websocket)
    try:
        await websocket.accept()
        closed = await _attached(websocket, app, opened)
        await _close(websocket, closed)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the browser went away mid-send: nothing to tell it
    except Exception:  # a bug: logged, and the browser told so (1011), never left hanging
        log.exception("terminal.failed", session=opened.grant.session_id)
        await _close_quietly(websocket, Closed("error", "the terminal failed"))
    finally:
        await _surely(app.close_terminal(), opened.grant, opened.actor, "web")


async def _attached(websocket: WebSocket, app: Container, opened: Opened) -> Closed | None:
    grant = opened.grant
    terminals: Terminals = app.terminals()
    try:
        client: TerminalClient = await run_in_threadpool(
            lambda: terminals.attach(
                grant.server,
                grant.session,
                grant.window,
                read_only=grant.read_only,
                cols=opened.cols,
                rows=opened.rows,
            )
        )
    except NotFound as missing:
        return Closed("ended", missing.message)
    except (AdapterError, DomainError) as error:
        log.warning("terminal.attach_failed", session=grant.session_id, error=str(error))
        return Closed("error", "the terminal could not be attached")
    try:
        hello = {"type": "hello", "read_only": grant.read_only, "session": grant.session_id}
        await websocket.send_text(json.dumps(hello))
        timing: TerminalTiming = websocket.app.state.terminal_timing
        relay = Relay(websocket, client, read_only=grant.read_only)
        watch = Watch(app, grant, opened.cookie, timing, relay)
        return await relay.run(watch.run)
    finally:
        await _surely(client.close)


async def _surely(fn: Callable[..., object], *args: object) -> None:
    """`fn` in a thread, to its end even while this task is cancelled (the server stopping, a
    test client leaving): the client is always closed and the detach always audited."""
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(fn, *args)


async def _deny(websocket: WebSocket, refused: Refused) -> None:
    try:
        await websocket.send_denial_response(
            PlainTextResponse(refused.message, status_code=refused.status)
        )
    except RuntimeError:  # a server without the denial extension: a bare refusal (403)
        await websocket.close(code=1008)


async def _close(websocket: WebSocket, closed: Closed | None) -> None:
    """Tell the browser why, then close with the protocol's code (nothing: it has gone)."""
    if closed is None:
        return
    message = closed.message or MESSAGES.get(closed.reason, "")
    said = {"type": "closed", "reason": closed.reason, "message": message}
    await websocket.send_text(json.dumps(said))
    await websocket.close(code=CLOSE_CODES[closed.reason])


async def _close_quietly(websocket: WebSocket, closed: Closed) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await _close(websocket, closed)


class Relay:
    """The two pumps between the pty and the socket; `last_activity` for the watchdog."""

    def __init__(self, websocket: WebSocket, client: TerminalClient, *, read_only: bool) -> None:
        self._ws = websocket
        self._client = client
        self._fd = client.fileno()
        self._read_only = read_only
        self._sending = asyncio.Lock()  # output and pongs never interleave
        self.last_activity = time.monotonic()

    async def run(self, watchdog: Callable[[], Awaitable[Closed]]) -> Closed | None:
        """Until one side ends: its reason (None: the browser went away)."""
        ended: list[Closed | None] = []
        async with anyio.create_task_group() as tasks:

            async def first(side: Callable[[], Awaitable[Closed | None]]) -> None:
                try:
                    ended.append(await side())
                except (WebSocketDisconnect, RuntimeError, OSError):
                    ended.append(None)  # the browser went away mid-send
                tasks.cancel_scope.cancel()

            for side in (self._output, self._input, watchdog):
                tasks.start_soon(first, side)
        return ended[0] if ended else None

    async def _output(self) -> Closed:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data = os.read(self._fd, MAX_FRAME)
            except BlockingIOError:
                await _ready(loop.add_reader, loop.remove_reader, self._fd)
                continue
            except OSError as error:
                if error.errno == errno.EIO:  # the client ended (pty closed)
                    return Closed("ended")
                raise
            if not data:
                return Closed("ended")
            self.last_activity = time.monotonic()
            async with self._sending:
                await self._ws.send_bytes(data)

    async def _input(self) -> None:
        while True:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is not None:
                if not self._read_only:
                    self.last_activity = time.monotonic()
                    await self._write(data)
                continue
            await self._control(message.get("text") or "")

    async def _write(self, data: bytes) -> None:
        """All of it, waiting while the pty's input is full (the browser then waits too)."""
        loop = asyncio.get_running_loop()
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._fd, view) :]
            except BlockingIOError:
                await _ready(loop.add_writer, loop.remove_writer, self._fd)

    async def _control(self, text: str) -> None:
        """resize and ping; anything else is ignored (a newer browser's message)."""
        try:
            said = json.loads(text)
        except ValueError:
            return
        if not isinstance(said, dict):
            return
        if said.get("type") == "ping":
            async with self._sending:
                await self._ws.send_text('{"type": "pong"}')
        elif said.get("type") == "resize":
            cols, rows = said.get("cols"), said.get("rows")
            if _size_ok(cols) and _size_ok(rows):
                self._client.resize(cols, rows)


def _size_ok(value: object) -> TypeGuard[int]:
    return type(value) is int and value in SIZE_RANGE


async def _ready(add: Callable[..., None], remove: Callable[[int], object], fd: int) -> None:
    """Until the fd is readable (add_reader) or writable (add_writer)."""
    ready = asyncio.get_running_loop().create_future()

    def fire() -> None:
        if not ready.done():
            ready.set_result(None)

    add(fd, fire)
    try:
        await ready
    finally:
        remove(fd)


class Watch:
    """Idle time, the sign-in and the grant, checked while a terminal is open."""

    def __init__(
        self,
        app: Container,
        grant: TerminalGrant,
        cookie: SessionCookie,
        timing: TerminalTiming,
        relay: Relay,
    ) -> None:
        self._app = app
        self._grant = grant
        self._cookie = cookie
        self._timing = timing
        self._relay = relay

    async def run(self) -> Closed:
        next_check = time.monotonic() + self._timing.recheck_seconds
        while True:
            now = time.monotonic()
            idle_at = self._relay.last_activity + self._timing.idle_seconds
            if now >= idle_at:
                return Closed("idle")
            if now >= next_check:
                closed = await self._recheck()
                if closed is not None:
                    return closed
                next_check = now + self._timing.recheck_seconds
            await asyncio.sleep(max(0.0, min(idle_at, next_check) - now))

    async def _recheck(self) -> Closed | None:
        viewer = await run_in_threadpool(self._app.load_viewer(), self._cookie)
        if viewer is None:
            return Closed("signed-out")
        check = await run_in_threadpool(
            self._app.open_terminal().still_allowed, self._grant, viewer.actor
        )
        if check is GrantCheck.ALLOWED:
            return None
        return Closed("ended" if check is GrantCheck.ENDED else "revoked")


routes = [WebSocketRoute("/sessions/{session_id:int}/terminal", terminal)]
