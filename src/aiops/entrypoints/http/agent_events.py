"""Agent events in (issue 18): `POST /api/v1/agent-events` and the unix socket
(AIOPS_EVENT_SOCKET), both feeding one in-process writer.

The writer queues events and records them in batches (RecordAgentEvents: one transaction per
batch; while a batch is written the next one gathers), so that a burst costs a few commits
rather than one per event. Each event is answered once the batch holding it is committed:
an accepted event (202 / `{"ok": true}`) is durably stored.

The HTTP route takes no cookie and no CSRF token (the API is exempt from both): the session's
token, `Authorization: Bearer <AIOPS_SESSION_TOKEN>`, is the credential. Over the socket the
token is a field of each line, and the peer's uid (SO_PEERCRED) must be the session's account.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import struct
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiops.domain.errors import DomainError, ValidationError
from aiops.domain.model.sessions import AgentStatus, BadEvent, BadToken, Tool
from aiops.domain.usecases.agent_events import AgentEventCommand, Outcome
from aiops.entrypoints.http.api._io import structure, whole
from aiops.entrypoints.http.api.shapes import AgentEventIn
from aiops.log import get_logger

if TYPE_CHECKING:
    from aiops.container import Container

log = get_logger(__name__)

MAX_LINE = 16 * 1024  # one event over the socket, token included
MAX_BATCH = 500


def parse_event(data: object, token: str, peer_uid: int | None = None) -> AgentEventCommand:
    """The wire format (api/shapes.py AgentEventIn, docs/guide/ai-sessions.md) as a command;
    BadEvent for anything else."""
    if not isinstance(data, dict):
        raise BadEvent("an event is a JSON object")
    try:
        event = structure({key: whole(value) for key, value in data.items()}, AgentEventIn)
    except ValidationError as error:
        raise BadEvent(error.message.removeprefix("body: ")) from None
    return AgentEventCommand(
        session_id=event.session_id,
        tool=Tool(event.tool),
        event=event.event,
        event_id=event.event_id,
        sent_at=event.sent_at,  # compared, never converted (0001-01-01+14:00 has no UTC)
        detail=event.detail,
        token=token,
        peer_uid=peer_uid,
    )


Record = Callable[[Sequence[AgentEventCommand]], list[Outcome]]


class EventWriter:
    """An in-process queue in front of RecordAgentEvents: one batch at a time (up to
    MAX_BATCH events) in a worker thread; each submitter gets its event's outcome once the
    batch is committed. A batch that fails as a whole (the database unavailable) fails each of
    its events with that error: nothing is answered as accepted unless stored."""

    def __init__(self, record: Record) -> None:
        self._record = record
        self._queue: asyncio.Queue[tuple[AgentEventCommand, asyncio.Future[Outcome]]] | None
        self._queue = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def submit(self, cmd: AgentEventCommand) -> Outcome:
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done() or self._loop != loop:
            self._queue, self._loop = asyncio.Queue(), loop  # a new loop (tests): a new writer
            self._task = loop.create_task(self._run(self._queue))
        done: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put_nowait((cmd, done))
        return await done

    async def _run(self, queue: asyncio.Queue[tuple[AgentEventCommand, Any]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                outcomes = await asyncio.to_thread(self._record, [cmd for cmd, _ in batch])
            except Exception as error:
                log.warning("agent_events.batch_failed", error=type(error).__name__, n=len(batch))
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if not done.done():
                    done.set_result(outcome)

    async def close(self) -> None:
        if self._task is not None and self._loop is asyncio.get_running_loop():
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task


def woken(container: Container) -> Record:
    """RecordAgentEvents, waking the issue-to-PR loop's thread after a batch in which a session
    turned finished (issue 19: its pull request may be due to open)."""
    record: Record = container.record_agent_events()
    wake = container.gateways.loop_wakeup()

    def recorded(cmds: Sequence[AgentEventCommand]) -> list[Outcome]:
        outcomes = record(cmds)
        if any(outcome is AgentStatus.FINISHED for outcome in outcomes):
            wake()
        return outcomes

    return recorded


def event_writer(app: Starlette) -> EventWriter:
    """The app's writer, made on first use."""
    writer: EventWriter | None = getattr(app.state, "event_writer", None)
    if writer is None:
        writer = EventWriter(woken(app.state.container))
        app.state.event_writer = writer
    return writer


async def receive(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BadToken
    try:
        data = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadEvent("the body is not JSON") from None
    outcome = await event_writer(request.app).submit(parse_event(data, token.strip()))
    if isinstance(outcome, DomainError):
        raise outcome
    return JSONResponse({"ok": True, "status": outcome.value}, status_code=202)


routes = [Route("/api/v1/agent-events", receive, methods=["POST"])]


def _error(error: DomainError) -> dict[str, object]:
    return {"error": {"code": error.code, "message": error.message}}


def peer_uid(sock: socket.socket) -> int:
    """The connected peer's uid, as the kernel saw it when it connected (SO_PEERCRED)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


async def _answers(path: str) -> bool:
    """Whether a server listens on the unix socket at `path` now."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), timeout=1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with suppress(OSError):
        await writer.wait_closed()
    return True


class EventSocket:
    """The unix-socket listener: newline-delimited JSON in, one reply line per line, in order.
    Lines of one connection are recorded concurrently (they join the same batches)."""

    def __init__(self, path: str, submit: Callable[[AgentEventCommand], Any]) -> None:
        self.path = path
        self._submit = submit
        self._server: asyncio.Server | None = None
        self._inode: int | None = None
        self._open: set[asyncio.StreamWriter] = set()  # connections, closed with the server

    async def start(self) -> None:
        path = Path(self.path)
        path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if path.is_symlink() or (path.exists() and not stat.S_ISSOCK(path.lstat().st_mode)):
            raise OSError(f"{path} exists and is not a socket: refusing to replace it")
        if path.exists() and await _answers(self.path):
            # Another worker of this server listens already (`aiops serve --workers N`): it
            # records for all of them (the database is shared); this one only serves HTTP.
            log.info("agent_events.socket_served_by_another_worker", socket=self.path)
            return
        path.unlink(missing_ok=True)  # a stale socket of an earlier server
        self._server = await asyncio.start_unix_server(self._serve, path=self.path, limit=MAX_LINE)
        os.chmod(path, 0o666)  # noqa: S103 - every account's hook connects; the uid is checked
        self._inode = path.lstat().st_ino
        log.info("agent_events.listening", socket=self.path)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._open):
                writer.close()
            await self._server.wait_closed()
            with suppress(FileNotFoundError):
                if Path(self.path).lstat().st_ino == self._inode:  # ours, not a successor's
                    Path(self.path).unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        uid = peer_uid(writer.get_extra_info("socket"))
        self._open.add(writer)
        replies: asyncio.Queue[asyncio.Future[dict[str, object]] | None] = asyncio.Queue(1000)
        replier = asyncio.create_task(self._reply(replies, writer))
        try:
            while line := await reader.readline():
                await replies.put(asyncio.ensure_future(self._answer(line, uid)))
        except ValueError:  # a line past MAX_LINE: said, then the connection is closed
            too_long: asyncio.Future[dict[str, object]] = asyncio.Future()
            too_long.set_result(_error(BadEvent(f"a line is longer than {MAX_LINE} bytes")))
            await replies.put(too_long)
        except ConnectionError:
            pass
        finally:
            await replies.put(None)
            with suppress(ConnectionError):
                await replier
            writer.close()
            self._open.discard(writer)

    async def _answer(self, line: bytes, uid: int) -> dict[str, object]:
        try:
            data = json.loads(line)
            token = data.pop("token", "") if isinstance(data, dict) else ""
            if not isinstance(token, str) or not token:
                raise BadToken
            outcome = await self._submit(parse_event(data, token, uid))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(BadEvent("a line is one JSON object"))
        except DomainError as refused:
            return _error(refused)
        except Exception as error:
            return {"error": {"code": "unavailable", "message": type(error).__name__}}
        if isinstance(outcome, DomainError):
            return _error(outcome)
        return {"ok": True, "status": outcome.value}

    async def _reply(
        self,
        replies: asyncio.Queue[asyncio.Future[dict[str, object]] | None],
        writer: asyncio.StreamWriter,
    ) -> None:
        while (pending := await replies.get()) is not None:
            writer.write(json.dumps(await pending).encode() + b"\n")
            if replies.empty():
                await writer.drain()
