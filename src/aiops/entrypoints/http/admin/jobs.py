"""Admin -> Jobs: every scheduled job with its schedule, next run, last status and duration,
and forms to run one now or to enable or disable it (global admins)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import Conflict
from aiops.domain.usecases.jobs import RunJobNowCommand
from aiops.entrypoints.http.admin._common import require_admin
from aiops.entrypoints.http.web import call, container, flash, form, redirect, render

JOBS = "/admin/jobs"


async def jobs_page(request: Request) -> Response:
    actor = await require_admin(request)
    app = container(request)
    jobs = await call(app.list_jobs(), actor)
    return render(
        request,
        "admin/jobs.html",
        jobs=jobs,
        now=datetime.now(UTC),
        in_process=app.settings().scheduler_in_process,
    )


async def run_now(request: Request) -> Response:
    actor = await require_admin(request)
    await form(request)  # the CSRF middleware has checked it
    name = request.path_params["name"]
    try:
        await call(container(request).run_job_now(), RunJobNowCommand(name=name, actor=actor))
    except Conflict as error:  # disabled: the page says why
        flash(request, error.message, "error")
        return redirect(JOBS)
    flash(request, f"job {name} is due now: a scheduler runs it at its next claim")
    return redirect(JOBS)


async def enable(request: Request) -> Response:
    actor = await require_admin(request)
    await form(request)
    job = await call(container(request).enable_job(), request.path_params["name"], actor)
    flash(request, f"job {job.name} enabled: next run {job.next_run:%Y-%m-%d %H:%M:%S} UTC")
    return redirect(JOBS)


async def disable(request: Request) -> Response:
    actor = await require_admin(request)
    await form(request)
    job = await call(container(request).disable_job(), request.path_params["name"], actor)
    flash(request, f"job {job.name} disabled")
    return redirect(JOBS)


routes = [
    Route(JOBS, jobs_page, methods=["GET"]),
    Route(JOBS + "/{name}/run", run_now, methods=["POST"]),
    Route(JOBS + "/{name}/enable", enable, methods=["POST"]),
    Route(JOBS + "/{name}/disable", disable, methods=["POST"]),
]
