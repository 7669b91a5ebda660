"""Issues: the triage view across every project the user may see, and (bulk) triage."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import DomainError, NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor, Permission
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import AgentSession
from aiops.domain.model.trackers import IssueState, Provider, Severity, TriageStatus
from aiops.domain.model.workspaces import WorkspaceMissing
from aiops.domain.usecases.agent_context import PopulateCommand
from aiops.domain.usecases.projects import ListProjectsQuery
from aiops.domain.usecases.session_board import SessionBoard
from aiops.domain.usecases.triage import IssueFilters, TriageCommand
from aiops.entrypoints.http import pull_requests
from aiops.entrypoints.http.sessions import session_tools
from aiops.entrypoints.http.web import (
    call,
    container,
    flash,
    form,
    number,
    redirect,
    render,
    require_actor,
)

FILTERS = (
    "tenant",
    "project",
    "provider",
    "state",
    "label",
    "assignee",
    "severity",
    "triage",
    "q",
    "incidents",
    "sort",
    "page",
)


def filters_from(values: dict[str, str]) -> IssueFilters:
    return IssueFilters(
        tenant=values["tenant"] or None,
        project_id=number("project", values["project"], 0) or None,
        provider=values["provider"] or None,
        state=values["state"] or None,
        label=values["label"] or None,
        assignee=values["assignee"] or None,
        severity=values["severity"] or None,
        triage_status=values["triage"] or None,
        text=values["q"] or None,
        incidents=values["incidents"] in ("1", "on", "true"),
        sort=values["sort"] or "updated",
        page=number("page", values["page"], 1),
    )


async def issues_page(request: Request) -> Response:
    actor = await require_actor(request)
    app = container(request)
    values = {key: request.query_params.get(key, "")[:200] for key in FILTERS}
    projects = await call(app.list_projects(), ListProjectsQuery(actor=actor))
    context: dict[str, Any] = {
        "values": values,
        "projects": {p.id: p for p in projects},
        "choices": {
            "provider": [p.value for p in Provider],
            "state": [s.value for s in IssueState],
            "severity": [s.value for s in Severity],
            "triage": [s.value for s in TriageStatus],
        },
        "incident_labels": list(app.settings().incident_label_list),
        "session_tools": session_tools(app),
        "sessions_by_issue": {},
        "loops": {},
        "back_url": request.url.path + ("?" + request.url.query if request.url.query else ""),
    }
    try:
        page = await call(app.search_issues(), filters_from(values), actor)
    except (ValidationError, NotFound) as error:
        status = 404 if isinstance(error, NotFound) else 400
        return render(request, "issues.html", status_code=status, error=error.message, **context)
    links = {
        target: "/issues?" + urlencode({**values, "page": str(target)})
        for target in (page.page - 1, page.page + 1)
        if 1 <= target <= page.pages
    }
    launchable = {i.id for i in page.issues if _may_use(actor, context["projects"], i.project_id)}
    board = await call(app.session_board(), actor)
    context["sessions_by_issue"] = sessions_by_issue(board)
    context["loops"] = await call(app.pull_request_board().for_issues, page.issues, actor)
    return render(request, "issues.html", page=page, links=links, launchable=launchable, **context)


def sessions_by_issue(board: SessionBoard) -> dict[int, list[AgentSession]]:
    """The live sessions of each issue the actor may see (its rows' status badges)."""
    found: dict[int, list[AgentSession]] = {}
    for entry in board.entries:
        if entry.session.issue_id is not None:
            found.setdefault(entry.session.issue_id, []).append(entry.session)
    return found


def _may_use(actor: Actor, projects: dict[int, Project], project_id: int) -> bool:
    """Whether the issue's row gets a Launch button (a viewer's click would be refused)."""
    project = projects.get(project_id)
    return project is not None and actor.may(Permission.USE, project.tenant_id)


def _back_to(target: str) -> str:
    """Only back to the issues view (never an absolute or protocol-relative URL)."""
    return target if target.startswith("/issues") and not target.startswith("//") else "/issues"


async def triage(request: Request) -> Response:
    actor = await require_actor(request)
    data = await form(request)
    back = _back_to(str(data.get("next", "/issues")))
    try:
        ids = [number("issue", str(value), 0) for value in data.getlist("issue")]
        severity = str(data.get("severity", ""))  # "none" removes it
        cmd = TriageCommand(
            issue_ids=ids,
            status=str(data.get("status", "")) or None,
            severity=None if severity in ("", "none") else severity,
            clear_severity=severity == "none",
            owner_email=str(data.get("owner", "")).strip() or None,
            clear_owner=data.get("clear_owner") == "on",
            note=str(data["note"]) if data.get("note") else None,
            actor=actor,
        )
        changed = await call(container(request).triage_issues(), cmd)
    except ValidationError as error:
        flash(request, f"Triage: {error.message}", "error")
        return redirect(back)
    flash(request, f"Triaged {len(changed)} issue{'s' if len(changed) != 1 else ''}.")
    return redirect(back)


async def agent_context(request: Request) -> Response:
    """The "Populate AGENTS.override.md" button: the issue into the user's own workspace of
    its project. An issue the user may not see is a 404 and a viewer's click a 403; anything
    the user can fix (no workspace yet, an unwritable file) comes back as a flash message."""
    actor = await require_actor(request)
    data = await form(request)
    back = _back_to(str(data.get("next", "/issues")))
    cmd = PopulateCommand(issue_id=request.path_params["issue_id"], actor=actor)
    try:
        result = await call(container(request).populate_agent_context(), cmd)
    except DomainError as error:
        if isinstance(error, PermissionDenied | NotFound) and not isinstance(
            error, WorkspaceMissing
        ):
            raise
        flash(request, f"AGENTS.override.md: {error.message}", "error")
        return redirect(back)
    flash(request, f"wrote AGENTS.override.md in {Path(result.path).parent}")
    return redirect(back)


routes = [
    Route("/issues", issues_page, methods=["GET"]),
    Route("/issues/triage", triage, methods=["POST"]),
    Route("/issues/{issue_id:int}/agent-context", agent_context, methods=["POST"]),
    *pull_requests.routes,  # "Work on it", "Open pull request", "Send review to agent"
]
