"""/api/v1/issues: the triage view as JSON (same filters as the page), and triage of one issue."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.model.trackers import IssueState, Provider, Severity, TriageStatus
from aiops.domain.usecases.agent_context import PopulateCommand
from aiops.domain.usecases.triage import PER_PAGE_MAX, SORTS, IssueFilters, TriageCommand
from aiops.entrypoints.http.api._io import api_actor, body, out, query
from aiops.entrypoints.http.api.outputs import AgentContextResult, Issue, IssuePage
from aiops.entrypoints.http.api.shapes import AgentContextIn, TriageIn
from aiops.entrypoints.http.api.types import Id, Printable, Slug
from aiops.entrypoints.http.web import call, container

DEFAULT_PER_PAGE = 50
# Filter text as SearchIssues takes it: label and assignee up to 100 characters, q up to 200.
Label = Annotated[Printable, Meta(max_length=100)]
Search = Annotated[Printable, Meta(max_length=200)]
# The query parameters of GET /api/v1/issues (the Issues page's filters), as the route reads
# them and the document publishes them.
QUERY: dict[str, Any] = {
    "tenant": Slug,
    "project": Id,
    "provider": Provider,
    "state": IssueState,
    "label": Label,
    "assignee": Label,
    "severity": Severity,
    "triage": TriageStatus,
    "q": Search,
    "incidents": Literal["1", "on", "true", "0", "off", "false"],
    "sort": Literal.__getitem__(SORTS),
    "page": Annotated[int, Meta(ge=1, le=100_000)],
    "per_page": Annotated[int, Meta(ge=1, le=PER_PAGE_MAX)],
}


async def search(request: Request) -> Response:
    actor = await api_actor(request)
    given = {name: query(request, name, kind) for name, kind in QUERY.items()}
    filters = IssueFilters(
        tenant=given["tenant"],
        project_id=given["project"],
        provider=given["provider"],
        state=given["state"],
        label=given["label"],
        assignee=given["assignee"],
        severity=given["severity"],
        triage_status=given["triage"],
        text=given["q"],
        incidents=given["incidents"] in ("1", "on", "true"),
        sort=given["sort"] or "updated",
        page=given["page"] or 1,
        per_page=given["per_page"] or DEFAULT_PER_PAGE,
    )
    page = await call(container(request).search_issues(), filters, actor)
    return out(
        IssuePage,
        {
            "issues": list(page.issues),
            "total": page.total,
            "page": page.page,
            "per_page": page.per_page,
            "pages": page.pages,
        },
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
    return out(Issue, issue)


async def agent_context(request: Request) -> Response:
    """Write the issue into AGENTS.override.md of the caller's workspace of its project."""
    actor = await api_actor(request)
    data = await body(request, AgentContextIn, empty_ok=True)
    cmd = PopulateCommand(
        issue_id=request.path_params["issue_id"], notes=data.notes or "", actor=actor
    )
    result = await call(container(request).populate_agent_context(), cmd)
    return out(AgentContextResult, result)


routes = [
    Route("/api/v1/issues", search, methods=["GET"]),
    Route("/api/v1/issues/{issue_id:int}", triage, methods=["PATCH"]),
    Route("/api/v1/issues/{issue_id:int}/agent-context", agent_context, methods=["POST"]),
]
