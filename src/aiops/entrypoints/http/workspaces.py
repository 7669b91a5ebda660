"""The dashboard cards' git controls: initialize, fetch, pull, push, checkout, branch, merge,
and a running clone's or fetch's progress (polled by the card) and cancel.

Each form posts here; the result (or the refusal) comes back as a flash message and on the
card, whose snapshot the use case has just refreshed. A clone blocks its request until git is
done: meanwhile the card (app.js) polls `progress` once a second, and its Cancel button (a
plain form, which works without JS from another tab too) asks the transfer to stop.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiops.domain.errors import Conflict, ValidationError
from aiops.domain.model.workspaces import (
    BranchMissing,
    RemoteFailed,
    TransferProgress,
    WorkspaceMissing,
)
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.workspaces import GitOperation, OperateCommand, WorkspaceResult
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, require_actor

BASE = "/projects/{project_id:int}/workspace"
# Refusals a user can act on go back to the card; NotFound for the project itself and
# PermissionDenied reach the error pages (404 / 403) like everywhere else.
CARD_ERRORS = (WorkspaceMissing, BranchMissing, Conflict, RemoteFailed, ValidationError)


def _back(project_id: int) -> Response:
    return redirect(f"/#project-{project_id}")


async def initialize(request: Request) -> Response:
    actor = await require_actor(request)
    project_id = request.path_params["project_id"]
    await form(request)  # the CSRF middleware has checked it; nothing else is sent
    try:
        result = await call(
            container(request).init_workspace(), WorkspaceRef(project_id=project_id, actor=actor)
        )
    except CARD_ERRORS as error:
        flash(request, f"Initialize: {error.message}", "error")
        return _back(project_id)
    verb = "cloned into" if result.created else "already at"
    flash(request, f"Workspace {verb} {result.path}.")
    return _back(project_id)


def _operation(operation: GitOperation) -> Route:
    async def operate(request: Request) -> Response:
        actor = await require_actor(request)
        project_id = request.path_params["project_id"]
        try:
            data = await form(request)
            cmd = OperateCommand(
                project_id=project_id,
                actor=actor,
                operation=operation,
                branch=field(data, "branch").strip() or None,
                base=field(data, "from").strip() or None,
            )
            result = await call(container(request).operate_workspace(), cmd)
        except CARD_ERRORS as error:
            flash(request, f"{operation.value.capitalize()}: {error.message}", "error")
            return _back(project_id)
        flash(request, _done(cmd, result))
        return _back(project_id)

    operate.__name__ = f"workspace_{operation.name.lower()}"
    return Route(f"{BASE}/{operation.value}", operate, methods=["POST"])


def _done(cmd: OperateCommand, result: WorkspaceResult) -> str:
    """What happened, in a sentence for the flash message."""
    kind = getattr(result.outcome, "kind", None)
    how = f" ({kind.value.replace('_', ' ')})" if kind else ""
    up_to_date = getattr(result.outcome, "up_to_date", False)
    branch = result.status.branch if result.status is not None else None
    sentences = {
        GitOperation.FETCH: "Fetched origin.",
        GitOperation.PULL: f"Pulled into {branch}{how}.",
        GitOperation.PUSH: f"Pushed {branch}" + (" (already up to date)." if up_to_date else "."),
        GitOperation.CHECKOUT: f"Checked out {cmd.branch}.",
        GitOperation.CREATE_BRANCH: f"Created {cmd.branch} and checked it out.",
        GitOperation.MERGE: f"Merged {cmd.branch} into {branch}{how}.",
    }
    return sentences[cmd.operation]


async def progress(request: Request) -> Response:
    """{"progress": {...}} of the clone or fetch running in the caller's workspace, or null:
    from memory, never git (the card polls it once a second)."""
    actor = await require_actor(request)
    ref = WorkspaceRef(project_id=request.path_params["project_id"], actor=actor)
    running = await call(container(request).read_transfer(), ref)
    return JSONResponse(
        {"progress": None if running is None else transfer_json(running)},
        headers={"Cache-Control": "no-store"},
    )


async def cancel(request: Request) -> Response:
    actor = await require_actor(request)
    project_id = request.path_params["project_id"]
    await form(request)  # the CSRF middleware has checked it; nothing else is sent
    ref = WorkspaceRef(project_id=project_id, actor=actor)
    try:
        running = await call(container(request).cancel_transfer(), ref)
    except CARD_ERRORS as error:
        flash(request, f"Cancel: {error.message}", "error")
        return _back(project_id)
    flash(request, f"Cancelling the {running.operation}: it stops in a moment.")
    return _back(project_id)


def transfer_json(running: TransferProgress) -> dict[str, object]:
    return {
        "operation": running.operation,
        "phase": running.phase.value,
        "percent": running.percent,
        "objects_done": running.objects_done,
        "objects_total": running.objects_total,
        "bytes_received": running.bytes_received,
    }


routes = [
    Route(BASE, initialize, methods=["POST"]),
    Route(f"{BASE}/progress", progress, methods=["GET"]),
    Route(f"{BASE}/cancel", cancel, methods=["POST"]),
    *(_operation(operation) for operation in GitOperation),
]
