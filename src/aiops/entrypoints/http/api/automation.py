"""/api/v1/playbooks and /api/v1/runs: Ansible automation as JSON: the allowlisted playbooks,
start a run, list and show runs, read a run's events after a sequence number, cancel."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases.automation import RunPlaybookCommand
from aiops.entrypoints.http.api._io import api_actor, body, out, query
from aiops.entrypoints.http.api.outputs import Playbook, Run, RunEvents
from aiops.entrypoints.http.api.shapes import RunIn
from aiops.entrypoints.http.run_stream import is_complete
from aiops.entrypoints.http.web import call, container
from aiops.entrypoints.presenters import event_row, playbook_row, run_row

EVENTS_LIMIT = 1000
RUNS_LIMIT = 1000
# Query parameters as the routes read them and the document publishes them: a value out of
# range is refused (400), never clamped.
RUNS_QUERY: dict[str, Any] = {"limit": Annotated[int, Meta(ge=1, le=RUNS_LIMIT)]}
EVENTS_QUERY: dict[str, Any] = {
    "after": Annotated[int, Meta(ge=0, le=2**63 - 1)],
    "limit": Annotated[int, Meta(ge=1, le=10_000)],
}


async def list_playbooks(request: Request) -> Response:
    actor = await api_actor(request)
    playbooks = await call(partial(container(request).list_playbooks(), actor=actor))
    return out(list[Playbook], [playbook_row(playbook) for playbook in playbooks])


async def start_run(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, RunIn)
    cmd = RunPlaybookCommand(
        playbook=data.playbook,
        inventory=data.inventory,
        limit=data.limit,
        tags=data.tags,
        check=data.check,
        extra_vars=data.extra_vars,
        secret_vars=tuple(data.secret_vars),
        identity=data.identity,
        actor=actor,
    )
    run = await call(container(request).run_playbook(), cmd)
    return out(Run, run_row(run), 201)


async def list_runs(request: Request) -> Response:
    actor = await api_actor(request)
    limit = query(request, "limit", RUNS_QUERY["limit"], 50)
    runs = await call(partial(container(request).list_runs(), limit=limit, actor=actor))
    return out(list[Run], [run_row(run) for run in runs])


async def show_run(request: Request) -> Response:
    actor = await api_actor(request)
    run = await call(
        partial(container(request).show_run(), request.path_params["run_id"], actor=actor)
    )
    return out(Run, run_row(run))


async def run_events(request: Request) -> Response:
    """The events after `?after=SEQ` (at most `?limit=`, 1000 by default); `done` says that
    the run has finished and no event follows these."""
    actor = await api_actor(request)
    after = query(request, "after", EVENTS_QUERY["after"], 0)
    limit = query(request, "limit", EVENTS_QUERY["limit"], EVENTS_LIMIT)
    page = await call(
        partial(
            container(request).run_events(),
            request.path_params["run_id"],
            after_seq=after,
            limit=limit,
            actor=actor,
        )
    )
    return out(
        RunEvents,
        {
            "run": run_row(page.run),
            "events": [event_row(event) for event in page.events],
            "last_seq": page.last_seq if page.last_seq is not None else after,
            "done": is_complete(page, limit),
        },
    )


async def cancel_run(request: Request) -> Response:
    actor = await api_actor(request)
    run = await call(  # a run already over: AutomationRefused, a Conflict (409)
        partial(container(request).cancel_run(), request.path_params["run_id"], actor=actor)
    )
    return out(Run, run_row(run))


routes = [
    Route("/api/v1/playbooks", list_playbooks, methods=["GET"]),
    Route("/api/v1/runs", list_runs, methods=["GET"]),
    Route("/api/v1/runs", start_run, methods=["POST"]),
    Route("/api/v1/runs/{run_id:int}", show_run, methods=["GET"]),
    Route("/api/v1/runs/{run_id:int}/events", run_events, methods=["GET"]),
    Route("/api/v1/runs/{run_id:int}/cancel", cancel_run, methods=["POST"]),
]
