"""Automation: the allowlisted playbooks, a run form, the run history, a run's page with its
events as they arrive (Server-Sent Events, run_stream.py) and a Cancel button.

Who may do what is the use cases' decision: global admins run and cancel; admins and tenant
owners see playbooks, runs and events; members and viewers get 403 (runs belong to no tenant,
so there is nothing of theirs to hide behind a 404); a run that does not exist is 404.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from aiops.domain.errors import ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.automation import AutomationRefused, AutomationRun, RunEvent
from aiops.domain.usecases.automation import RunEventsPage, RunPlaybookCommand
from aiops.entrypoints.http.run_stream import (
    PAGE_SIZE,
    StreamTiming,
    resume_after,
    run_stream,
)
from aiops.entrypoints.http.web import (
    call,
    container,
    field,
    flash,
    form,
    redirect,
    render,
    require_actor,
)

RUN_ERRORS = (AutomationRefused, ValidationError)
HISTORY = 50
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


async def _page(request: Request, actor: Actor, status_code: int = 200, **context: Any) -> Response:
    app = container(request)
    playbooks = await call(partial(app.list_playbooks(), actor=actor))
    inventories = await call(partial(app.list_inventories(), actor=actor))
    runs = await call(partial(app.list_runs(), limit=HISTORY, actor=actor))
    return render(
        request,
        "automation.html",
        status_code=status_code,
        playbooks=playbooks,
        inventories=inventories,
        default_inventory=app.automation_policy().default_inventory,
        runs=runs,
        **({"chosen": {}} | context),
    )


async def automation_page(request: Request) -> Response:
    actor = await require_actor(request)
    chosen = {"playbook": request.query_params.get("playbook", "")[:64]}
    return await _page(request, actor, chosen=chosen)


async def start_run(request: Request) -> Response:
    actor = await require_actor(request)
    try:
        data = await form(request)
    except ValidationError as error:  # a field over the size limit
        return await _page(request, actor, 400, error=error.message)
    chosen = {
        name: field(data, name) for name in ("playbook", "inventory", "limit", "tags", "extra_vars")
    }
    chosen["check"] = "1" if field(data, "check") else ""
    cmd = RunPlaybookCommand(
        playbook=chosen["playbook"].strip(),
        inventory=chosen["inventory"].strip() or None,
        limit=chosen["limit"] or None,
        tags=chosen["tags"] or None,
        check=bool(chosen["check"]),
        extra_vars=chosen["extra_vars"] or None,
        actor=actor,
    )
    try:
        run = await call(container(request).run_playbook(), cmd)
    except RUN_ERRORS as error:
        return await _page(request, actor, 400, chosen=chosen, error=error.message)
    flash(request, f"Run {run.id} of {run.playbook} started.")
    return redirect(f"/automation/runs/{run.id}")


async def _all_events(
    request: Request, run_id: int, actor: Actor
) -> tuple[AutomationRun, list[RunEvent]]:
    """The run and every event stored so far (read page by page)."""
    read = container(request).run_events()
    events: list[RunEvent] = []
    while True:
        page = await call(
            partial(read, run_id, after_seq=events[-1].seq if events else 0, actor=actor)
        )
        events.extend(page.events)
        if len(page.events) < PAGE_SIZE:
            return page.run, events


async def run_page(request: Request) -> Response:
    actor = await require_actor(request)
    run, events = await _all_events(request, request.path_params["run_id"], actor)
    return render(
        request,
        "automation_run.html",
        run=run,
        events=events,
        after=events[-1].seq if events else 0,
    )


async def run_events_stream(request: Request) -> Response:
    actor = await require_actor(request)
    after = resume_after(request)
    read = partial(
        container(request).run_events(),
        request.path_params["run_id"],
        limit=PAGE_SIZE,
        actor=actor,
    )

    def read_after(seq: int) -> RunEventsPage:
        return read(after_seq=seq)

    first = await call(read_after, after)  # refusals answer 403 / 404 before streaming
    timing: StreamTiming = request.app.state.run_stream_timing
    return StreamingResponse(
        run_stream(read_after, first, after, timing),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


async def cancel_run(request: Request) -> Response:
    actor = await require_actor(request)
    await form(request)
    run_id = request.path_params["run_id"]
    try:
        await call(partial(container(request).cancel_run(), run_id, actor=actor))
    except AutomationRefused as error:
        flash(request, error.message, "error")
    else:
        flash(request, f"Run {run_id}: cancel requested.")
    return redirect(f"/automation/runs/{run_id}")


routes = [
    Route("/automation", automation_page, methods=["GET"]),
    Route("/automation/runs", start_run, methods=["POST"]),
    Route("/automation/runs/{run_id:int}", run_page, methods=["GET"]),
    Route("/automation/runs/{run_id:int}/events", run_events_stream, methods=["GET"]),
    Route("/automation/runs/{run_id:int}/cancel", cancel_run, methods=["POST"]),
]
