"""/api/v1/sessions: AI coding sessions as JSON: list, launch, view (with the pane), share,
stop, and the history of their statuses (events)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.domain.usecases.terminals import ShareSessionCommand
from aiops.entrypoints.http.api._io import api_actor, body, out, query
from aiops.entrypoints.http.api.outputs import AgentEvent, Session
from aiops.entrypoints.http.api.shapes import SessionIn, SessionPatchIn
from aiops.entrypoints.http.api.types import Id
from aiops.entrypoints.http.web import call, container
from aiops.entrypoints.presenters import agent_event_row, session_row


async def list_sessions(request: Request) -> Response:
    actor = await api_actor(request)
    project_id = query(request, "project_id", Id)
    views = await call(container(request).list_sessions(), actor, project_id)
    return out(list[Session], [session_row(view) for view in views])


async def launch(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, SessionIn)
    app = container(request)
    cmd = LaunchSessionCommand(
        project_id=data.project_id, tool=data.tool, issue_id=data.issue_id, actor=actor
    )
    result = await call(app.launch_session(), cmd)
    view, _ = await call(app.view_session(), result.session.id, actor)
    created = session_row(view) | {"created": result.created}
    return out(Session, created, 201 if result.created else 200)


async def show(request: Request) -> Response:
    actor = await api_actor(request)
    view, pane = await call(
        container(request).view_session(), request.path_params["session_id"], actor
    )
    return out(Session, session_row(view) | {"pane": pane})


async def patch(request: Request) -> Response:
    """Share the session's terminal with the tenant's members, or stop sharing it."""
    actor = await api_actor(request)
    data = await body(request, SessionPatchIn)
    app, session_id = container(request), request.path_params["session_id"]
    cmd = ShareSessionCommand(session_id=session_id, shared=data.shared, actor=actor)
    await call(app.share_session(), cmd)
    view, _ = await call(app.view_session(), session_id, actor)
    return out(Session, session_row(view))


async def stop(request: Request) -> Response:
    actor = await api_actor(request)
    app = container(request)
    await call(app.stop_session(), request.path_params["session_id"], actor)
    view, _ = await call(app.view_session(), request.path_params["session_id"], actor)
    return out(Session, session_row(view))


async def events(request: Request) -> Response:
    """The session's status transitions, newest first (404 for a session you may not see)."""
    actor = await api_actor(request)
    listed = await call(
        container(request).list_session_events(), request.path_params["session_id"], actor
    )
    return out(list[AgentEvent], [agent_event_row(event) for event in listed])


routes = [
    Route("/api/v1/sessions", list_sessions, methods=["GET"]),
    Route("/api/v1/sessions", launch, methods=["POST"]),
    Route("/api/v1/sessions/{session_id:int}", show, methods=["GET"]),
    Route("/api/v1/sessions/{session_id:int}", patch, methods=["PATCH"]),
    Route("/api/v1/sessions/{session_id:int}", stop, methods=["DELETE"]),
    Route("/api/v1/sessions/{session_id:int}/events", events, methods=["GET"]),
]
