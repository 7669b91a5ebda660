"""What the admin pages share: who may enter, and re-showing a form with its error."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aiops.domain.errors import Conflict, DomainError, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.entrypoints.http.web import render, require_actor


async def require_manager(request: Request) -> Actor:
    """Admins, and owners of at least one tenant (for their tenants); 403 for the rest."""
    actor = await require_actor(request)
    if not actor.manages_some_tenant:
        raise PermissionDenied("only admins and tenant owners manage tenants")
    return actor


async def require_admin(request: Request) -> Actor:
    actor = await require_actor(request)
    actor.require_admin()
    return actor


FORM_ERRORS = (ValidationError, Conflict)


def status_for(error: DomainError) -> int:
    if isinstance(error, PermissionDenied):
        return 403
    return 409 if isinstance(error, Conflict) else 400


def form_error(request: Request, template: str, error: DomainError, **context: Any) -> Response:
    """The page again with the form's error and the user's input (400; 409 on a conflict, 403
    for a refusal)."""
    return render(request, template, status_code=status_for(error), error=error.message, **context)
