"""Admin -> Memberships: who has which role in the tenants the actor manages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.model.access import Permission
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.entrypoints.http.admin._common import FORM_ERRORS, require_manager, status_for
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, render


async def memberships_page(
    request: Request, slug: str | None, status_code: int = 200, **context: object
) -> Response:
    actor = await require_manager(request)
    app = container(request)
    tenants = [
        t for t in await call(app.list_tenants(), actor) if actor.may(Permission.MANAGE, t.id or 0)
    ]
    slug = slug or (tenants[0].slug if tenants else None)
    members = await call(app.list_members(), slug, actor) if slug else []
    context.setdefault("values", {})
    return render(
        request,
        "admin/memberships.html",
        status_code=status_code,
        tenants=tenants,
        selected=slug,
        members=members,
        roles=[r.value for r in Role],
        **context,
    )


async def list_memberships(request: Request) -> Response:
    return await memberships_page(request, request.query_params.get("tenant"))


async def add_member(request: Request) -> Response:
    actor = await require_manager(request)
    values: dict[str, str] = {}
    try:
        data = await form(request)
        values = {key: field(data, key) for key in ("tenant", "email", "role")}
        membership = await call(
            container(request).add_member(), AddMemberCommand(**values, actor=actor)
        )
    except FORM_ERRORS as error:
        return await memberships_page(
            request, values.get("tenant"), status_for(error), error=error.message, values=values
        )
    flash(request, f"{values['email']} is {membership.role.value} of {values['tenant']}.")
    return redirect(f"/admin/memberships?tenant={values['tenant']}")


routes = [
    Route("/admin/memberships", list_memberships, methods=["GET"]),
    Route("/admin/memberships", add_member, methods=["POST"]),
]
