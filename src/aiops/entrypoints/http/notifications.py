"""Notification targets on pages: the Profile's own (waiting, finished, failed) and a
tenant's (Admin -> Tenants -> Notifications: run-failed, incident, job-failed). URLs are
shown masked; a test is queued (the delivery thread sends it), never sent in the request."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import ValidationError
from aiops.domain.model.notifications import TENANT_EVENTS, NoticeEvent
from aiops.domain.usecases.notifications import AddTargetCommand, TargetOwner
from aiops.entrypoints.http.admin._common import require_manager
from aiops.entrypoints.http.pages import show_profile
from aiops.entrypoints.http.web import (
    call,
    container,
    field,
    flash,
    form,
    redirect,
    render,
    require_actor,
)

TENANT_CHOICES = [event.value for event in NoticeEvent if event in TENANT_EVENTS]


async def _add_command(request: Request, owner: TargetOwner) -> AddTargetCommand:
    data = await form(request)
    return AddTargetCommand(
        owner=owner,
        url=field(data, "url"),
        events=",".join(str(value) for value in data.getlist("events")),
        label=field(data, "label"),
        actor=await require_actor(request),
    )


async def add_own(request: Request) -> Response:
    actor = await require_actor(request)
    try:
        cmd = await _add_command(request, TargetOwner(user_email=actor.name))
        target = await call(container(request).add_notification_target(), cmd)
    except ValidationError as error:
        return await show_profile(request, 400, notification_error=error.message)
    flash(request, f"Notification target {target.url_masked} added.")
    return redirect("/profile")


async def _remove(request: Request, back: str) -> Response:
    actor = await require_actor(request)
    target_id = int(request.path_params["target_id"])
    target = await call(container(request).remove_notification_target(), target_id, actor)
    flash(request, f"Notification target {target.url_masked} removed.")
    return redirect(back)


async def _test(request: Request, back: str) -> Response:
    actor = await require_actor(request)
    target_id = int(request.path_params["target_id"])
    await call(container(request).test_notification_target(), target_id, actor)
    flash(request, "Test queued: it is sent within seconds; its result shows here.")
    return redirect(back)


async def remove_own(request: Request) -> Response:
    return await _remove(request, "/profile")


async def test_own(request: Request) -> Response:
    return await _test(request, "/profile")


async def tenant_page(request: Request, status_code: int = 200, **context: object) -> Response:
    actor = await require_manager(request)
    slug = request.path_params["slug"]
    tenant = await call(container(request).get_tenant(), slug, actor)
    targets = await call(
        container(request).list_notification_targets(), TargetOwner(tenant_slug=slug), actor
    )
    return render(request, "admin/tenant_notifications.html", status_code=status_code,
                  tenant=tenant, targets=targets, choices=TENANT_CHOICES,
                  action=f"/admin/tenants/{tenant.slug}/notifications", **context)  # fmt: skip


async def add_tenant_target(request: Request) -> Response:
    await require_manager(request)
    slug = request.path_params["slug"]
    try:
        cmd = await _add_command(request, TargetOwner(tenant_slug=slug))
        target = await call(container(request).add_notification_target(), cmd)
    except ValidationError as error:
        return await tenant_page(request, 400, error=error.message)
    flash(request, f"Notification target {target.url_masked} added.")
    return redirect(f"/admin/tenants/{slug}/notifications")


async def remove_tenant_target(request: Request) -> Response:
    await require_manager(request)
    return await _remove(request, f"/admin/tenants/{request.path_params['slug']}/notifications")


async def test_tenant_target(request: Request) -> Response:
    await require_manager(request)
    return await _test(request, f"/admin/tenants/{request.path_params['slug']}/notifications")


ADMIN = "/admin/tenants/{slug}/notifications"
routes = [
    Route("/profile/notifications", add_own, methods=["POST"]),
    Route("/profile/notifications/{target_id:int}/remove", remove_own, methods=["POST"]),
    Route("/profile/notifications/{target_id:int}/test", test_own, methods=["POST"]),
    Route(ADMIN, tenant_page, methods=["GET"]),
    Route(ADMIN, add_tenant_target, methods=["POST"]),
    Route(ADMIN + "/{target_id:int}/remove", remove_tenant_target, methods=["POST"]),
    Route(ADMIN + "/{target_id:int}/test", test_tenant_target, methods=["POST"]),
]
