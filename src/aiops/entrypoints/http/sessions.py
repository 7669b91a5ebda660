"""Sessions: the AI coding sessions a user may see, launching one, stopping one, and a
read-only live view of its pane (the page polls the pane's text)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.model.sessions import SessionRefused
from aiops.domain.model.workspaces import RemoteFailed, WorkspaceExists
from aiops.domain.usecases.projects import ListProjectsQuery
from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.domain.usecases.terminals import ShareSessionCommand
from aiops.entrypoints.http.web import (
    call,
    container,
    field,
    flash,
    form,
    number,
    redirect,
    render,
    require_actor,
)

# Refusals shown on the page; NotFound and PermissionDenied reach the error pages.
LAUNCH_ERRORS = (SessionRefused, ValidationError, WorkspaceExists, RemoteFailed)


def session_tools(app: Container) -> list[str]:
    """The tools a launch form offers: the allowlist from the settings (no database)."""
    return [tool.value for tool in app.session_policy().tools]


async def sessions_page(request: Request) -> Response:
    actor = await require_actor(request)
    app = container(request)
    views = await call(app.list_sessions(), actor)
    projects = await call(app.list_projects(), ListProjectsQuery(actor=actor))
    return render(
        request,
        "sessions.html",
        views=views,
        projects={p.id: p for p in projects},
        chosen=request.query_params.get("project", "")[:12],  # a card's "Launch" link
        tools=session_tools(app),
    )


async def launch(request: Request) -> Response:
    actor = await require_actor(request)
    data = await form(request)
    try:
        project_id = number("project", field(data, "project").strip(), 0) or None
        if project_id is None:
            raise ValidationError("project", "choose a project")
        cmd = LaunchSessionCommand(
            project_id=project_id,
            tool=field(data, "tool"),
            issue_id=number("issue", field(data, "issue").strip(), 0) or None,
            actor=actor,
        )
        result = await call(container(request).launch_session(), cmd)
    except LAUNCH_ERRORS as error:
        flash(request, f"Launch: {error.message}", "error")
        return redirect("/sessions")
    session = result.session
    verb = "launched" if result.created else "was running already: focused"
    flash(request, f"{session.tool.value} {verb} in {session.target} as {session.linux_user}.")
    return redirect(f"/sessions/{session.id}")


async def session_page(request: Request) -> Response:
    actor = await require_actor(request)
    app, session_id = container(request), request.path_params["session_id"]
    view, pane = await call(app.view_session(), session_id, actor)
    may_share = await call(app.share_session().may_share, session_id, actor)
    events = await call(app.list_session_events(), session_id, actor)
    issue_id, issue_loop = view.session.issue_id, None
    if issue_id is not None:  # the issue's pull request, made by this session's user
        issue_loop = await call(app.pull_request_board().for_issue, issue_id, actor)
    return render(
        request,
        "session.html",
        view=view,
        pane=pane,
        may_share=may_share,
        events=events,
        pull=issue_loop.pull_of(view.session.user_id) if issue_loop else None,
        trouble=issue_loop.trouble if issue_loop else None,
    )


async def share(request: Request) -> Response:
    """Let the tenant's members watch the terminal (shared=true) or stop it (false)."""
    actor = await require_actor(request)
    data = await form(request)
    session_id = request.path_params["session_id"]
    wanted = field(data, "shared")
    if wanted not in ("true", "false"):
        flash(request, "Share: shared must be true or false", "error")
        return redirect(f"/sessions/{session_id}")
    cmd = ShareSessionCommand(session_id=session_id, shared=wanted == "true", actor=actor)
    session = await call(container(request).share_session(), cmd)
    said = "members of its tenant may watch it" if session.shared else "only you and owners see it"
    flash(request, f"Session {session.id}: {said}.")
    return redirect(f"/sessions/{session_id}")


async def pane(request: Request) -> Response:
    """The pane's text now, for the page's live view (never cached)."""
    actor = await require_actor(request)
    view, text = await call(
        container(request).view_session(), request.path_params["session_id"], actor
    )
    headers = {"Cache-Control": "no-store", "X-Session-Status": view.status.value}
    return PlainTextResponse(text, headers=headers)


async def stop(request: Request) -> Response:
    actor = await require_actor(request)
    await form(request)
    stopped = await call(
        container(request).stop_session(), request.path_params["session_id"], actor
    )
    flash(request, f"Session {stopped.id} stopped ({stopped.target}).")
    return redirect("/sessions")


routes = [
    Route("/sessions", sessions_page, methods=["GET"]),
    Route("/sessions", launch, methods=["POST"]),
    Route("/sessions/{session_id:int}", session_page, methods=["GET"]),
    Route("/sessions/{session_id:int}/pane", pane, methods=["GET"]),
    Route("/sessions/{session_id:int}/stop", stop, methods=["POST"]),
    Route("/sessions/{session_id:int}/share", share, methods=["POST"]),
]
