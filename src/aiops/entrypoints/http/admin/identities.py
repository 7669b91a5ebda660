"""Admin -> Identities: the SSH identities (admins and tenant owners see them, for their
projects); admins add a named public key."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases.identities import AddIdentityCommand
from aiops.entrypoints.http.admin._common import (
    FORM_ERRORS,
    require_admin,
    require_manager,
    status_for,
)
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, render

FIELDS = ("name", "public_key")


async def identities_page(request: Request, status_code: int = 200, **context: object) -> Response:
    actor = await require_manager(request)
    listed = await call(container(request).list_identities(), actor)
    context.setdefault("values", {})
    return render(
        request, "admin/identities.html", status_code=status_code, listed=listed, **context
    )


async def list_identities(request: Request) -> Response:
    return await identities_page(request)


async def add_identity(request: Request) -> Response:
    actor = await require_admin(request)
    values: dict[str, str] = {}
    try:
        data = await form(request)
        values = {key: field(data, key) for key in FIELDS}
        cmd = AddIdentityCommand(name=values["name"], public_key=values["public_key"], actor=actor)
        identity = await call(container(request).add_identity(), cmd)
    except FORM_ERRORS as error:
        return await identities_page(request, status_for(error), error=error.message, values=values)
    flash(request, f"Identity {identity.name} added ({identity.fingerprint}).")
    return redirect("/admin/identities")


routes = [
    Route("/admin/identities", list_identities, methods=["GET"]),
    Route("/admin/identities", add_identity, methods=["POST"]),
]
