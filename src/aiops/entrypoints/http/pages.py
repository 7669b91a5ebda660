"""The dashboard and the profile page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import groupby

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.notifications import USER_EVENTS, NoticeEvent
from aiops.domain.model.workspaces import TransferProgress
from aiops.domain.usecases.auth import ChangePasswordCommand, CreateTokenCommand, RevokeTokenCommand
from aiops.domain.usecases.notifications import TargetOwner
from aiops.domain.usecases.projects import ListProjectsQuery
from aiops.domain.usecases.workspaces import SnapshotsView
from aiops.entrypoints.http.middleware import csrf_token
from aiops.entrypoints.http.page_cache import Page, PageCache
from aiops.entrypoints.http.sessions import session_tools
from aiops.entrypoints.http.web import (
    call,
    container,
    current_viewer,
    field,
    flash,
    form,
    redirect,
    remember,
    render,
    require_actor,
)

NOTICE_CHOICES = [event.value for event in NoticeEvent if event in USER_EVENTS]


async def dashboard(request: Request) -> Response:
    actor = await require_actor(request)
    viewer = await current_viewer(request)
    assert viewer is not None
    assert actor.user_id is not None
    app = container(request)
    cache: PageCache = request.app.state.page_cache
    key = None
    if not request.session.get("flash"):
        version = (viewer.data_version, app.gateways.workspace_snapshots().version())
        key = cache.key("dashboard", actor, csrf_token(request.session), version)
        page = cache.get(key)
        if page is not None and not _transfers(app, actor, page.project_ids):
            if request.app.state.refresher.due(actor):
                _refresh_stale(request, actor, page.project_ids)
            return page.response(request.headers.get("accept-encoding", ""))
    projects = await call(app.list_projects(), ListProjectsQuery(actor=actor))
    remote_ids = tuple(p.id for p in projects if p.repo_url and p.id is not None)
    workspaces = _refresh_stale(request, actor, remote_ids)
    tenants = await call(app.list_tenants(), actor)
    by_tenant = {
        tenant_id: list(group)
        for tenant_id, group in groupby(
            sorted(projects, key=lambda p: p.tenant_id), key=lambda p: p.tenant_id
        )
    }
    groups = [(tenant, by_tenant.get(tenant.id, [])) for tenant in tenants]
    ids = [p.id for p in projects if p.id is not None]
    incidents = await call(app.incident_counts(), actor, ids)
    transfers = _transfers(app, actor, remote_ids)
    pulls = await call(app.pull_request_board().open_of_user, ids, actor)
    response = render(
        request,
        "dashboard.html",
        groups=groups,
        project_count=len(projects),
        workspaces=workspaces.snapshots,
        transfers=transfers,
        incidents=incidents,
        pulls=pulls,  # the user's open pull requests by project
        session_tools=session_tools(app),
        now=app.clock().now(),
    )
    if key is None or transfers:  # a page with a transfer under way is never cached
        return response
    page = Page(body=bytes(response.body), project_ids=remote_ids)
    cache.put(key, page)
    return page.response(request.headers.get("accept-encoding", ""))


def _transfers(
    app: Container, actor: Actor, project_ids: Sequence[int]
) -> dict[int, TransferProgress]:
    """The clones and fetches running in the user's workspaces (this process's, in memory)."""
    assert actor.user_id is not None
    board = app.gateways.transfer_progress()
    found = ((pid, board.get(actor.user_id, pid)) for pid in project_ids)
    return {pid: running for pid, running in found if running is not None}


def _refresh_stale(request: Request, actor: Actor, project_ids: Sequence[int]) -> SnapshotsView:
    """The user's workspace snapshots (from memory); stale ones are refreshed in the background."""
    app = container(request)
    assert actor.user_id is not None
    ttl = timedelta(seconds=app.settings().workspace_status_ttl_seconds)
    workspaces = app.read_snapshots()(actor.user_id, project_ids, ttl)
    request.app.state.refresher.request(actor, workspaces.stale)
    return workspaces


async def profile(request: Request) -> Response:
    actor = await require_actor(request)
    return await _profile(request, actor.name)


async def _profile(
    request: Request, email: str, status_code: int = 200, **extra: object
) -> Response:
    actor = await require_actor(request)
    tokens = await call(container(request).list_tokens(), email, actor)
    targets = await call(
        container(request).list_notification_targets(), TargetOwner(user_email=email), actor
    )
    return render(request, "profile.html", status_code=status_code, tokens=tokens,
                  targets=targets, choices=NOTICE_CHOICES, **extra)  # fmt: skip


async def show_profile(request: Request, status_code: int = 200, **extra: object) -> Response:
    """The signed-in user's profile page (another page's form errors shown on it)."""
    actor = await require_actor(request)
    return await _profile(request, actor.name, status_code, **extra)


async def change_password(request: Request) -> Response:
    actor = await require_actor(request)
    try:
        data = await form(request)
        if field(data, "new_password") != field(data, "confirm_password"):
            raise ValidationError("confirm_password", "does not match the new password")
        generation = await call(
            container(request).change_password(),
            ChangePasswordCommand(
                current=field(data, "current_password"),
                new=field(data, "new_password"),
                actor=actor,
            ),
        )
    except ValidationError as error:
        return await _profile(request, actor.name, 400, password_error=error.message)
    assert actor.user_id is not None
    remember(request, actor.user_id, generation)  # this browser stays; every other is out
    flash(request, "Password changed: you are signed out everywhere else.")
    return redirect("/profile")


async def create_token(request: Request) -> Response:
    actor = await require_actor(request)
    try:
        data = await form(request)
        created = await call(
            container(request).create_token(),
            CreateTokenCommand(email=actor.name, name=field(data, "name") or "token", actor=actor),
        )
    except ValidationError as error:
        return await _profile(request, actor.name, 400, token_error=error.message)
    return await _profile(request, actor.name, new_token=created.secret)


async def revoke_token(request: Request) -> Response:
    actor = await require_actor(request)
    token_id = int(request.path_params["token_id"])
    await call(
        container(request).revoke_token(), RevokeTokenCommand(token_id=token_id, actor=actor)
    )
    flash(request, "Token revoked.")
    return redirect("/profile")


routes = [
    Route("/", dashboard, methods=["GET"]),
    Route("/profile", profile, methods=["GET"]),
    Route("/profile/password", change_password, methods=["POST"]),
    Route("/profile/tokens", create_token, methods=["POST"]),
    Route("/profile/tokens/{token_id:int}/revoke", revoke_token, methods=["POST"]),
]
