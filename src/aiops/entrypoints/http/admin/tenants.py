"""Admin -> Tenants: list, create (admins), edit (owners and admins)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.model.access import Permission
from aiops.domain.model.tenants import DEFAULT_COLOR
from aiops.domain.usecases.tenants import CreateTenantCommand, UpdateTenantCommand
from aiops.entrypoints.http.admin._common import (
    FORM_ERRORS,
    form_error,
    require_manager,
    status_for,
)
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, render


async def tenants_page(request: Request, status_code: int = 200, **context: object) -> Response:
    actor = await require_manager(request)
    tenants = await call(container(request).list_tenants(), actor)
    manageable = [t for t in tenants if actor.may(Permission.MANAGE, t.id or 0)]
    context.setdefault("values", {"slug": "", "name": "", "color": DEFAULT_COLOR})
    return render(
        request, "admin/tenants.html", status_code=status_code, tenants=manageable, **context
    )


async def list_tenants(request: Request) -> Response:
    return await tenants_page(request)


async def create_tenant(request: Request) -> Response:
    actor = await require_manager(request)
    values = {"slug": "", "name": "", "color": DEFAULT_COLOR}
    try:
        data = await form(request)
        values = {key: field(data, key, values[key]) for key in values}
        tenant = await call(
            container(request).create_tenant(), CreateTenantCommand(**values, actor=actor)
        )
    except FORM_ERRORS as error:
        return await tenants_page(request, status_for(error), error=error.message, values=values)
    flash(request, f"Tenant {tenant.name} created.")
    return redirect("/admin/tenants")


async def edit_tenant(request: Request) -> Response:
    actor = await require_manager(request)
    tenant = await call(container(request).get_tenant(), request.path_params["slug"], actor)
    return render(request, "admin/tenant_edit.html", tenant=tenant, values=None)


async def update_tenant(request: Request) -> Response:
    actor = await require_manager(request)
    slug = request.path_params["slug"]
    tenant = await call(container(request).get_tenant(), slug, actor)
    values = {"name": tenant.name, "color": tenant.color}
    try:
        data = await form(request)
        values = {key: field(data, key, values[key]) for key in values}
        cmd = UpdateTenantCommand(
            slug=slug, name=values["name"], color=values["color"], actor=actor
        )
        await call(container(request).update_tenant(), cmd)
    except FORM_ERRORS as error:
        return form_error(request, "admin/tenant_edit.html", error, tenant=tenant, values=values)
    flash(request, f"Tenant {slug} saved.")
    return redirect("/admin/tenants")


routes = [
    Route("/admin/tenants", list_tenants, methods=["GET"]),
    Route("/admin/tenants", create_tenant, methods=["POST"]),
    Route("/admin/tenants/{slug}", edit_tenant, methods=["GET"]),
    Route("/admin/tenants/{slug}", update_tenant, methods=["POST"]),
]
