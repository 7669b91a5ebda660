"""The JSON API under /api/v1 (bearer tokens)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from aiops.entrypoints.http.api import (
    automation,
    issues,
    openapi,
    pull_requests,
    sessions,
    workspaces,
    worktrees,
)
from aiops.entrypoints.http.api.routes import PREFIX
from aiops.entrypoints.http.api.routes import routes as resource_routes

routes: list[BaseRoute] = [
    *resource_routes,
    *workspaces.routes,
    *issues.routes,
    *sessions.routes,
    *automation.routes,
    *worktrees.routes,
    *pull_requests.routes,
    Route(f"{PREFIX}/openapi.json", openapi.openapi, methods=["GET"]),
]
