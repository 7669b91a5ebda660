"""/api/v1/issues: the triage view as JSON (same filters as the page), and triage of one issue."""

from __future__ import annotations

import attrs
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases.agent_context import PopulateCommand
from aiops.domain.usecases.triage import TriageCommand
from aiops.entrypoints.http.api._io import api_actor, body, out
from aiops.entrypoints.http.api.shapes import AgentContextIn, TriageIn
from aiops.entrypoints.http.issues import FILTERS, filters_from
from aiops.entrypoints.http.web import call, container, number


async def search(request: Request) -> Response:
    actor = await api_actor(request)
    values = {key: request.query_params.get(key, "")[:200] for key in FILTERS}
    filters = filters_from(values)
    per_page = number("per_page", request.query_params.get("per_page", ""), filters.per_page)
    filters = attrs.evolve(filters, per_page=per_page)
    page = await call(container(request).search_issues(), filters, actor)
    return out(
        {
            "issues": list(page.issues),
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
        }
    )


async def triage(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, TriageIn)
    cmd = TriageCommand(
        issue_ids=[request.path_params["issue_id"]],
        status=data.status,
        severity=data.severity,
        clear_severity=data.clear_severity,
        owner_email=data.owner_email,
        clear_owner=data.clear_owner,
        note=data.note,
        actor=actor,
    )
    (issue,) = await call(container(request).triage_issues(), cmd)
    return out(issue)


async def agent_context(request: Request) -> Response:
    """Write the issue into AGENTS.override.md of the caller's workspace of its project."""
    actor = await api_actor(request)
    data = await body(request, AgentContextIn, empty_ok=True)
    cmd = PopulateCommand(
        issue_id=request.path_params["issue_id"], notes=data.notes or "", actor=actor
    )
    result = await call(container(request).populate_agent_context(), cmd)
    return out({"path": result.path, "changed": result.changed})


routes = [
    Route("/api/v1/issues", search, methods=["GET"]),
    Route("/api/v1/issues/{issue_id:int}", triage, methods=["PATCH"]),
    Route("/api/v1/issues/{issue_id:int}/agent-context", agent_context, methods=["POST"]),
]
