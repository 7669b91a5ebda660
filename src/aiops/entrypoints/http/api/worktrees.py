"""/api/v1/projects/{id}/worktrees: the caller's worktrees of a project (one per task)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases.worktrees import (
    AddWorktreeCommand,
    ListWorktreesCommand,
    RemoveWorktreeCommand,
    WorktreeView,
)
from aiops.entrypoints.http.api._io import api_actor, body, out, query
from aiops.entrypoints.http.api.outputs import Worktree
from aiops.entrypoints.http.api.shapes import WorktreeIn
from aiops.entrypoints.http.web import call, container
from aiops.entrypoints.jsonable import jsonable

BASE = "/api/v1/projects/{project_id:int}/worktrees"


def row(view: WorktreeView) -> dict[str, Any]:
    """A listed worktree as the API (and the dashboard) shows it."""
    return {
        **jsonable(view.worktree),
        "status": jsonable(view.status),
        "unpushed": view.unpushed,
        "error": view.error,
    }


async def list_worktrees(request: Request) -> Response:
    cmd = ListWorktreesCommand(
        project_id=request.path_params["project_id"], actor=await api_actor(request)
    )
    views = await call(container(request).list_worktrees(), cmd)
    return out(list[Worktree], [row(view) for view in views])


async def add_worktree(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, WorktreeIn)
    cmd = AddWorktreeCommand(
        project_id=request.path_params["project_id"],
        issue_id=data.issue_id,
        branch=data.branch,
        from_ref=data.base,
        actor=actor,
    )
    result = await call(container(request).add_worktree(), cmd)
    shown = {**jsonable(result.worktree), "created": result.created}
    return out(Worktree, shown, 201 if result.created else 200)


async def remove_worktree(request: Request) -> Response:
    actor = await api_actor(request)
    cmd = RemoveWorktreeCommand(
        worktree_id=request.path_params["worktree_id"],
        project_id=request.path_params["project_id"],
        force=query(request, "force", bool, False),
        actor=actor,
    )
    removed = await call(container(request).remove_worktree(), cmd)
    return out(Worktree, removed)


routes = [
    Route(BASE, list_worktrees, methods=["GET"]),
    Route(BASE, add_worktree, methods=["POST"]),
    Route(f"{BASE}/{{worktree_id:int}}", remove_worktree, methods=["DELETE"]),
]
