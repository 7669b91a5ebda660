"""/api/v1/projects/{id}/workspace: the caller's own git workspace of a project."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
from aiops.entrypoints.http.api._io import api_actor, body, out
from aiops.entrypoints.http.api.outputs import Branches, CancelRequested, Workspace
from aiops.entrypoints.http.api.shapes import BranchIn, OptionalBranchIn
from aiops.entrypoints.http.web import call, container

BASE = "/api/v1/projects/{project_id:int}/workspace"


async def _ref(request: Request) -> WorkspaceRef:
    actor = await api_actor(request)
    return WorkspaceRef(project_id=request.path_params["project_id"], actor=actor)


async def get_status(request: Request) -> Response:
    ref = await _ref(request)
    return out(Workspace, await call(container(request).workspace_status(), ref))


async def initialize(request: Request) -> Response:
    ref = await _ref(request)
    result = await call(container(request).init_workspace(), ref)
    return out(Workspace, result, 201 if result.created else 200)


async def cancel(request: Request) -> Response:
    ref = await _ref(request)
    running = await call(container(request).cancel_transfer(), ref)
    return out(CancelRequested, {"progress": running})


async def get_branches(request: Request) -> Response:
    ref = await _ref(request)
    return out(Branches, await call(container(request).list_branches(), ref))


def _operation(operation: GitOperation) -> Route:
    async def operate(request: Request) -> Response:
        ref = await _ref(request)
        shape: type[BranchIn | OptionalBranchIn] = (
            BranchIn if operation.needs_branch else OptionalBranchIn
        )
        data = await body(request, shape, empty_ok=not operation.needs_branch)
        cmd = OperateCommand(
            project_id=ref.project_id,
            actor=ref.actor,
            operation=operation,
            branch=data.branch,
            base=data.base,
        )
        return out(Workspace, await call(container(request).operate_workspace(), cmd))

    operate.__name__ = f"workspace_{operation.name.lower()}"
    return Route(f"{BASE}/{operation.value}", operate, methods=["POST"])


routes = [
    Route(BASE, get_status, methods=["GET"]),
    Route(BASE, initialize, methods=["POST"]),
    Route(f"{BASE}/branches", get_branches, methods=["GET"]),
    Route(f"{BASE}/cancel", cancel, methods=["POST"]),
    *(_operation(operation) for operation in GitOperation),
]
