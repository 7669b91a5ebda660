"""A run's events as Server-Sent Events: each event with `id: <seq>`, resumable from
`Last-Event-ID` (or `?after=` on the first load), keep-alive comments while nothing happens,
`event: status` with the run's status when the stream starts and whenever it changes (a page
rendered while the run was queued learns that it runs), and `event: end` with the run (its
summary) once every event has been sent.

The stream polls the database through the RunEvents use case, so it works whichever web
worker (or CLI process) runs the playbook: when a page comes back with the run finished and
fewer events than asked for, every event has been stored and sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable

import attrs
from starlette.requests import Request

from aiops.domain.errors import ValidationError
from aiops.domain.model.automation import RunStatus
from aiops.domain.usecases.automation import RunEventsPage
from aiops.entrypoints.http.web import call
from aiops.entrypoints.presenters import event_row, run_row

PAGE_SIZE = 1000  # events read per poll (a backlog is read page after page, without waiting)
SEQ_MAX_DIGITS = 12
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what EventSource splits lines on


@attrs.frozen(kw_only=True)
class StreamTiming:
    poll_seconds: float = 0.15  # how often a live run's new events are looked for
    keepalive_seconds: float = 15.0  # a comment after this long without an event
    retry_ms: int = 1000  # how soon EventSource reconnects after a dropped connection


ReadPage = Callable[[int], RunEventsPage]  # after_seq -> the next page


def resume_after(request: Request) -> int:
    """Where a stream starts: after `Last-Event-ID` (a reconnecting EventSource sends it),
    else after `?after=`, else from the first event."""
    for name, given in (
        ("Last-Event-ID", request.headers.get("last-event-id")),
        ("after", request.query_params.get("after")),
    ):
        text = (given or "").strip()
        if not text:
            continue
        if not text.isdigit() or len(text) > SEQ_MAX_DIGITS:
            raise ValidationError(name, "must be an event's sequence number (a whole number)")
        return int(text)
    return 0


def message(data: str, *, event_id: int | None = None, event: str | None = None) -> str:
    lines = [f"id: {event_id}"] if event_id is not None else []
    if event:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return "\n".join(lines) + "\n\n"


def events_text(page: RunEventsPage) -> str:
    return "".join(
        message(json.dumps(event_row(e), ensure_ascii=False), event_id=e.seq) for e in page.events
    )


def is_complete(page: RunEventsPage, limit: int = PAGE_SIZE) -> bool:
    """No event will follow: the run was finished when read, and the page was not full."""
    return page.run.status.finished and len(page.events) < limit


async def run_stream(
    read: ReadPage, first: RunEventsPage, after: int, timing: StreamTiming
) -> AsyncIterator[str]:
    """The stream after the first page (read by the caller, so that a refusal is a 4xx and
    not a broken stream). Cancelled by Starlette when the client goes away."""
    yield f"retry: {timing.retry_ms}\n\n"
    page = first
    quiet_since = time.monotonic()
    shown: RunStatus | None = None
    while True:
        if page.run.status != shown and not page.run.status.finished:
            shown = page.run.status
            yield message(shown.value, event="status")
        if page.events:
            yield events_text(page)
            after = page.events[-1].seq
            quiet_since = time.monotonic()
        if is_complete(page):
            yield message(json.dumps(run_row(page.run), ensure_ascii=False), event="end")
            return
        if len(page.events) < PAGE_SIZE:  # caught up: wait for more
            if time.monotonic() - quiet_since >= timing.keepalive_seconds:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(timing.poll_seconds)
        page = await call(read, after)
