"""Admin -> Trackers: the tracker connections an admin or tenant owner manages; add one,
replace its token or webhook secret, test it, remove it. Secrets go in, never come back out:
the page shows that a token is saved and when, and whether a webhook secret is set."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import SecretUnreadable, ValidationError
from aiops.domain.model.access import Actor, Permission
from aiops.domain.model.projects import Project
from aiops.domain.model.tenants import Tenant
from aiops.domain.model.trackers import Provider, TrackerError
from aiops.domain.usecases.projects import ListProjectsQuery
from aiops.domain.usecases.trackers import AddTrackerCommand, ReplaceTrackerSecretsCommand
from aiops.entrypoints.http.admin._common import FORM_ERRORS, require_manager, status_for
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, render

PAGE = "/admin/trackers"
FIELDS = ("project_id", "provider", "base_url", "key")
ID_DIGITS = 9  # ids are 32-bit INTEGER columns


def _project_id(value: str) -> int:
    """The form's project select: a project's id."""
    if not value.isascii() or not value.isdigit() or len(value) > ID_DIGITS:
        raise ValidationError("project_id", "choose a project from the list")
    return int(value)


def _optional(value: str) -> str | None:
    """An empty secret field leaves the secret as it is (or unset)."""
    return value or None


async def _manageable_projects(request: Request, actor: Actor) -> list[tuple[Tenant, Project]]:
    """The projects the actor may connect a tracker to, for the add form's select."""
    tenants = await call(container(request).list_tenants(), actor)
    managed = {t.id: t for t in tenants if actor.may(Permission.MANAGE, t.id or 0)}
    projects = await call(container(request).list_projects(), ListProjectsQuery(actor=actor))
    return [(managed[p.tenant_id], p) for p in projects if p.tenant_id in managed]


def webhook_url(request: Request, provider: Provider, connection_id: int | None) -> str:
    """What to paste into the tracker's webhook settings."""
    return f"{str(request.base_url).rstrip('/')}/hooks/{provider.value}?connection={connection_id}"


async def trackers_page(request: Request, status_code: int = 200, **context: object) -> Response:
    actor = await require_manager(request)
    rows = await call(container(request).list_managed_trackers(), actor)
    context.setdefault("values", {"provider": Provider.GITHUB.value})
    return render(
        request,
        "admin/trackers.html",
        status_code=status_code,
        rows=rows,
        projects=await _manageable_projects(request, actor),
        providers=[p.value for p in Provider],
        hooks={
            row.connection.id: webhook_url(request, row.connection.provider, row.connection.id)
            for row in rows
        },
        **context,
    )


async def list_trackers(request: Request) -> Response:
    return await trackers_page(request)


async def add_tracker(request: Request) -> Response:
    actor = await require_manager(request)
    values: dict[str, str] = {}
    try:
        data = await form(request)
        values = {key: field(data, key) for key in FIELDS}
        cmd = AddTrackerCommand(
            project_id=_project_id(values["project_id"]),
            provider=values["provider"],
            base_url=values["base_url"],
            key=values["key"],
            token=field(data, "token"),  # never put back into a page
            webhook_secret=_optional(field(data, "webhook_secret")),
            actor=actor,
        )
        connection = await call(container(request).add_tracker(), cmd)
    except FORM_ERRORS as error:
        return await trackers_page(request, status_for(error), error=error.message, values=values)
    flash(request, f"Tracker connection {connection.id} added ({connection.key}).")
    return redirect(PAGE)


async def replace_secrets(request: Request) -> Response:
    actor = await require_manager(request)
    connection_id = request.path_params["connection_id"]
    try:
        data = await form(request)
        cmd = ReplaceTrackerSecretsCommand(
            connection_id=connection_id,
            token=_optional(field(data, "token")),
            webhook_secret=_optional(field(data, "webhook_secret")),
            clear_webhook_secret=field(data, "clear_webhook_secret") == "on",
            actor=actor,
        )
        await call(container(request).replace_tracker_secrets(), cmd)
    except FORM_ERRORS as error:
        return await trackers_page(
            request, status_for(error), error=f"Connection {connection_id}: {error.message}"
        )
    flash(request, f"Tracker connection {connection_id}: secrets replaced.")
    return redirect(PAGE)


async def test_tracker(request: Request) -> Response:
    """One request to the tracker; its answer, or why it failed, comes back as a flash (a token
    sealed under an old key fails too: the page's "Replace token" is the remedy)."""
    actor = await require_manager(request)
    connection_id = request.path_params["connection_id"]
    try:
        result = await call(container(request).test_tracker(), connection_id, actor)
    except (TrackerError, SecretUnreadable) as error:
        flash(request, f"Connection {connection_id} failed: {error.message}", "error")
    else:
        flash(request, f"Connection {connection_id} works: {result}")
    return redirect(PAGE)


async def remove_tracker(request: Request) -> Response:
    actor = await require_manager(request)
    connection_id = request.path_params["connection_id"]
    await call(container(request).remove_tracker(), connection_id, actor)
    flash(request, f"Tracker connection {connection_id} removed with its issues.")
    return redirect(PAGE)


routes = [
    Route(PAGE, list_trackers, methods=["GET"]),
    Route(PAGE, add_tracker, methods=["POST"]),
    Route(PAGE + "/{connection_id:int}/secrets", replace_secrets, methods=["POST"]),
    Route(PAGE + "/{connection_id:int}/test", test_tracker, methods=["POST"]),
    Route(PAGE + "/{connection_id:int}/remove", remove_tracker, methods=["POST"]),
]
