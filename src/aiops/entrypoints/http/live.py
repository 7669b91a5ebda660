"""Live status for the pages (issue 18): `GET /events/sessions`, Server-Sent Events.

`event: sessions` carries the board of the sessions the signed-in user may see (their stored
status fields) when the stream starts and whenever it changes:
`{"sessions": [{"id", "status", "status_since", "status_source", "tool", "project_id",
"issue_id", "user_id", "mine"}], "waiting_mine": N}`. static/live.js shows it on every page.

One SessionFeed per web worker polls the sessions' change marker (one small query, every
`poll_seconds`, while any stream is open) and reads the live sessions only when it moved, once
for all the worker's streams; each stream cuts its viewer's board from that read and sends it
when it differs from the last one sent. So a change made by any web worker, the CLI or an
agent event reaches every open page within a poll, and a hundred open tabs cost one query per
poll. The viewer is loaded again every `recheck_seconds`: a user signed out everywhere (or
removed from a tenant) stops getting what they may no longer see. A client that goes away
ends its stream within a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aiops.domain.model.access import Actor
from aiops.domain.usecases.auth import SessionCookie
from aiops.domain.usecases.session_board import (
    BoardEntry,
    LiveSessions,
    SessionBoard,
    board_for,
)
from aiops.entrypoints.http.run_stream import message
from aiops.entrypoints.http.web import SignInRequired, call, container, require_actor
from aiops.log import get_logger
from aiops.ports.unit_of_work import SessionChanges

log = get_logger(__name__)
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@attrs.frozen(kw_only=True)
class LiveTiming:
    poll_seconds: float = 0.25  # how often the change marker is read
    keepalive_seconds: float = 15.0  # a comment after this long without an event
    retry_ms: int = 2000  # how soon EventSource reconnects after a dropped connection
    recheck_seconds: float = 15.0  # how often the viewer is loaded again


@attrs.define
class LiveStreams:
    """How many session streams this process serves now (tests watch it go back to 0)."""

    open: int = 0


@attrs.frozen(kw_only=True)
class Watch:
    """What one stream asks about its viewer."""

    viewer: Callable[[], Actor | None]  # blocking: the viewer loaded again (None: signed out)
    gone: Callable[[], Awaitable[bool]]  # the client went away


class SessionFeed:
    """The worker's one poll of the change marker while streams are open, and its latest read
    of the live sessions, shared by every stream."""

    def __init__(
        self,
        marker: Callable[[], Callable[[], SessionChanges]],
        read: Callable[[], Callable[[], LiveSessions]],
        poll_seconds: Callable[[], float],
    ) -> None:
        self._marker = marker
        self._read = read
        self._poll_seconds = poll_seconds
        self.latest: LiveSessions | None = None
        self._changed = asyncio.Event()
        self._streams = 0
        self._task: asyncio.Task[None] | None = None

    async def first(self) -> LiveSessions:
        """A fresh read for a stream that opens (its first board is never a stale one)."""
        live: LiveSessions = await call(self._read())
        return live

    def join(self, live: LiveSessions) -> None:
        """A stream opens with its first read; that read is the latest when it differs (the
        feed may have slept while no stream was open)."""
        self._streams += 1
        if self.latest is None or live.marker != self.latest.marker:
            self._publish(live)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll(), name="live-feed")

    def leave(self) -> None:
        self._streams -= 1
        if self._streams == 0 and self._task is not None:
            self._task.cancel()
            self._task = None

    async def after(self, seen: LiveSessions, timeout: float) -> LiveSessions:
        """The latest read once it is another than `seen`, else `seen` after `timeout`."""
        if self.latest is None or self.latest is seen:
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)
        return self.latest or seen

    def _publish(self, live: LiveSessions) -> None:
        self.latest = live
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds())
            try:
                marker = await call(self._marker())
                if self.latest is None or marker != self.latest.marker:
                    self._publish(await call(self._read()))
            except Exception as error:  # a database away for a moment: the next poll retries
                log.warning("live.poll_failed", error=f"{type(error).__name__}: {error}")


def session_row(entry: BoardEntry) -> dict[str, Any]:
    s = entry.session
    return {
        "id": s.id,
        "status": s.status.value,
        "status_since": (s.status_since or s.started_at).isoformat(),
        "status_source": s.status_source.value,
        "tool": s.tool.value,
        "project_id": s.project_id,
        "issue_id": s.issue_id,
        "user_id": s.user_id,
        "mine": entry.mine,
    }


def board_text(board: SessionBoard) -> str:
    rows = [session_row(e) for e in board.entries]
    return json.dumps({"sessions": rows, "waiting_mine": board.waiting_mine}, ensure_ascii=False)


async def board_stream(
    feed: SessionFeed,
    watch: Watch,
    actor: Actor,
    first: LiveSessions,
    *,
    timing: LiveTiming,
    streams: LiveStreams,
) -> AsyncIterator[str]:
    """The first board (read by the caller, so that a refusal is an answer and not a broken
    stream), then each board that differs from the last one sent."""
    streams.open += 1
    feed.join(first)
    try:
        yield f"retry: {timing.retry_ms}\n\n"
        live = first
        sent = board_text(board_for(actor, live))
        yield message(sent, event="sessions")
        quiet_since = checked = time.monotonic()
        while True:
            newer = await feed.after(live, timing.poll_seconds)
            if await watch.gone():
                return
            now, recut = time.monotonic(), False
            if now - checked >= timing.recheck_seconds:
                checked = now
                again = await call(watch.viewer)
                if again is None:
                    return
                actor, recut = again, again != actor  # roles changed: cut the board again
            if newer is not live or recut:
                live = newer
                text = board_text(board_for(actor, live))
                if text != sent:
                    sent, quiet_since = text, now
                    yield message(text, event="sessions")
                    continue
            if now - quiet_since >= timing.keepalive_seconds:
                quiet_since = now
                yield ": keep-alive\n\n"
    finally:
        feed.leave()
        streams.open -= 1


def _viewer_loader(request: Request) -> Callable[[], Actor | None]:
    """Loads the cookie's viewer again (as pages do once per request)."""
    load = container(request).load_viewer()
    cookie = SessionCookie(
        user_id=request.session.get("uid", 0), session_generation=request.session.get("gen", 0)
    )

    def viewer() -> Actor | None:
        found = load(cookie)
        return found.actor if found else None

    return viewer


async def sessions_stream(request: Request) -> Response:
    try:
        actor = await require_actor(request)
    except SignInRequired:  # EventSource gives up on a 401; it would follow a redirect
        body = {"error": {"code": "unauthenticated", "message": "sign in to follow sessions"}}
        return JSONResponse(body, status_code=401)
    watch = Watch(viewer=_viewer_loader(request), gone=request.is_disconnected)
    feed: SessionFeed = request.app.state.session_feed
    first = await feed.first()
    return StreamingResponse(
        board_stream(
            feed,
            watch,
            actor,
            first,
            timing=request.app.state.live_timing,
            streams=request.app.state.live_streams,
        ),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


routes = [Route("/events/sessions", sessions_stream, methods=["GET"])]
