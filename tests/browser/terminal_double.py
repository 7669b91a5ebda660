"""A stand-in for the terminal's server side, to test the browser's terminal alone: a Starlette
app served by uvicorn on 127.0.0.1 (in a thread) with the WebSocket route
/sessions/{id}/terminal speaking the protocol of docs/guide/terminal.md over a real pty running
bash as the current user, the real static files, and the real session and sessions templates.

What it does not do (the real route does): sign-in, Origin and CSRF checks, tmux. It records
what each connection received, so a test can read the bytes a browser sent, and it can close or
drop connections as the real server would. A reconnect is repainted by replaying the shell's
last output (tmux redraws the screen on a fresh attach)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import attrs
import uvicorn
from ptyprocess import PtyProcess
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from aiops.entrypoints.http.middleware import SecurityHeaders
from aiops.entrypoints.http.web import HERE, templates

CSRF = "csrf-of-the-test-page"
HISTORY_BYTES = 64 * 1024
CLOSE_CODES = {"ended": 1000, "idle": 1000, "signed-out": 4401, "revoked": 4403, "error": 1011}


@attrs.define(eq=False)
class Connection:
    """One WebSocket: its handshake's query, the bytes and control messages it received."""

    websocket: WebSocket
    session_id: int
    query: dict[str, str]
    read_only: bool
    received: bytearray = attrs.field(factory=bytearray)
    controls: list[dict[str, Any]] = attrs.field(factory=list)
    queue: asyncio.Queue[bytes] = attrs.field(factory=asyncio.Queue)
    open: bool = True


@attrs.define(eq=False)
class Shell:
    process: PtyProcess
    history: bytearray = attrs.field(factory=bytearray)
    attached: list[Connection] = attrs.field(factory=list)


@attrs.define(eq=False)
class TerminalDouble:
    base_url: str = ""
    read_only: bool = False
    hide_vendor: bool = False  # serve static/vendor/ as if `make vendor` had not run
    refuse: bool = False  # refuse every handshake (403), as a server without the route would
    refused: int = 0
    connections: list[Connection] = attrs.field(factory=list)
    shells: dict[int, Shell] = attrs.field(factory=dict)
    loop: asyncio.AbstractEventLoop | None = None

    def shell(self, session_id: int) -> Shell:
        if session_id not in self.shells:
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": os.environ.get("HOME", "/tmp"),
                "TERM": "xterm-256color",
                "PS1": "$ ",
                "LANG": "C.UTF-8",
            }
            process = PtyProcess.spawn(
                ["bash", "--norc", "--noprofile", "-i"], env=env, dimensions=(24, 80)
            )
            shell = Shell(process=process)
            self.shells[session_id] = shell
            assert self.loop is not None
            self.loop.add_reader(process.fd, self._read, shell)
        return self.shells[session_id]

    def _read(self, shell: Shell) -> None:
        try:
            data = os.read(shell.process.fd, 65536)
        except OSError:
            data = b""
        if not data:
            assert self.loop is not None
            self.loop.remove_reader(shell.process.fd)
            return
        shell.history += data
        del shell.history[:-HISTORY_BYTES]
        for connection in shell.attached:
            connection.queue.put_nowait(data)

    def run(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` on the server's loop (from the test's thread) and wait for it."""
        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(job(), self.loop).result(timeout=10)

    def close_all(self, reason: str, message: str = "") -> None:
        """What the server does when a session ends, idles, or the user signs out."""

        async def job() -> None:
            for connection in self.live():
                closed = {"type": "closed", "reason": reason, "message": message}
                await connection.websocket.send_text(json.dumps(closed))
                await connection.websocket.close(CLOSE_CODES[reason])

        self.run(job)

    def drop_all(self) -> None:
        """A network drop, as the browser sees it: the socket closes without a "closed"."""

        async def job() -> None:
            for connection in self.live():
                await connection.websocket.close(1012)

        self.run(job)

    def live(self) -> list[Connection]:
        return [c for c in self.connections if c.open]

    def wait_for(self, what: Callable[[], Any], timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = what()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def stop_shells(self) -> None:
        for shell in self.shells.values():
            shell.process.terminate(force=True)


async def terminal(websocket: WebSocket) -> None:
    """The protocol's server side, over the session's shell."""
    double: TerminalDouble = websocket.app.state.double
    session_id = int(websocket.path_params["session_id"])
    if double.refuse:
        double.refused += 1
        await websocket.close()  # before accept: uvicorn answers 403
        return
    await websocket.accept()
    connection = Connection(
        websocket=websocket,
        session_id=session_id,
        query=dict(websocket.query_params),
        read_only=double.read_only,
    )
    double.connections.append(connection)
    shell = double.shell(session_id)
    cols = int(connection.query.get("cols", "80"))
    rows = int(connection.query.get("rows", "24"))
    shell.process.setwinsize(rows, cols)
    hello = {"type": "hello", "read_only": connection.read_only, "session": session_id}
    await websocket.send_text(json.dumps(hello))
    await websocket.send_bytes(b"\x1b[H\x1b[2J" + bytes(shell.history))  # the repaint
    shell.attached.append(connection)
    sender = asyncio.create_task(give_output(connection))
    try:
        await take_input(connection, shell)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        connection.open = False
        shell.attached.remove(connection)
        sender.cancel()


async def take_input(connection: Connection, shell: Shell) -> None:
    while True:
        message = await connection.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            connection.received += message["bytes"]
            if not connection.read_only:
                os.write(shell.process.fd, message["bytes"])
        elif message.get("text") is not None:
            control = json.loads(message["text"])
            connection.controls.append(control)
            if control["type"] == "resize":
                shell.process.setwinsize(control["rows"], control["cols"])
            elif control["type"] == "ping":
                await connection.websocket.send_text(json.dumps({"type": "pong"}))


async def give_output(connection: Connection) -> None:
    try:
        while True:
            await connection.websocket.send_bytes(await connection.queue.get())
    except (WebSocketDisconnect, RuntimeError):
        pass


def view(session_id: int) -> SimpleNamespace:
    """What the templates read of a session's view (SessionView)."""
    session = SimpleNamespace(
        id=session_id,
        target=f"aiops-{session_id}:shell",
        tool=SimpleNamespace(value="shell"),
        linux_user="someone",
        project_id=1,
        issue_id=None,
        status=SimpleNamespace(value="working"),
        status_since=None,
        status_source=SimpleNamespace(value="pane"),
        started_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        shared=False,
    )
    return SimpleNamespace(
        session=session,
        status=session.status,
        attach="tmux attach",
        last_activity=None,
    )


def page(request: Request, template: str, **more: Any) -> Response:
    """The real template, with what web.render gives every page."""
    context = {
        "actor": None,
        "version": "test",
        "messages": [],
        "csrf_field": "csrf_token",
        "csrf_token": CSRF,
        **more,
    }
    response: Response = templates.TemplateResponse(request, template, context)
    return response


async def session_page(request: Request) -> Response:
    session_id = int(request.path_params["session_id"])
    return page(request, "session.html", view=view(session_id), pane="the pane, read-only")


async def sessions_page(request: Request) -> Response:
    count = int(request.query_params.get("count", "2"))
    return page(
        request,
        "sessions.html",
        views=[view(n) for n in range(1, count + 1)],
        projects={1: SimpleNamespace(name="Web")},
        chosen="",
        tools=["shell"],
    )


async def pane(_request: Request) -> Response:
    return PlainTextResponse("the pane, read-only", headers={"X-Session-Status": "working"})


def app_for(double: TerminalDouble) -> ASGIApp:
    app = Starlette(
        routes=[
            Route("/sessions", sessions_page),
            Route("/sessions/{session_id:int}", session_page),
            Route("/sessions/{session_id:int}/pane", pane),
            WebSocketRoute("/sessions/{session_id:int}/terminal", terminal),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )
    app.state.double = double
    app.add_middleware(SecurityHeaders)  # the real CSP: it must let the page connect

    async def without_vendor(scope: Scope, receive: Receive, send: Send) -> None:
        """static/vendor/ as if `make vendor` had not run, while double.hide_vendor."""
        if double.hide_vendor and scope.get("path", "").startswith("/static/vendor/"):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await app(scope, receive, send)

    return without_vendor


@contextmanager
def serving(double: TerminalDouble, port: int) -> Iterator[TerminalDouble]:
    config = uvicorn.Config(
        app_for(double), host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        double.loop = asyncio.get_running_loop()
        await server.serve()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    double.base_url = f"http://127.0.0.1:{port}"
    double.wait_for(lambda: server.started)
    try:
        yield double
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        double.stop_shells()
