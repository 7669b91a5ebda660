"""Admin -> Audit: the trail, filtered by actor, tenant, action and time."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import ValidationError
from aiops.entrypoints.http.admin._common import require_admin
from aiops.entrypoints.http.web import call, container, render
from aiops.ports.unit_of_work import AuditQuery

FILTERS = ("actor", "tenant", "action", "since", "until", "limit")


def _moment(name: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            name, f"{text[:40]!r} is not a date or time (2026-11-24T09:30)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _query(values: dict[str, str]) -> AuditQuery:
    limit = values["limit"] or "100"
    if not limit.isdigit():
        raise ValidationError("limit", "must be a whole number")
    return AuditQuery(
        actor=values["actor"] or None,
        tenant=values["tenant"] or None,
        action=values["action"] or None,
        since=_moment("since", values["since"]),
        until=_moment("until", values["until"]),
        limit=int(limit),
    )


async def audit_page(request: Request) -> Response:
    actor = await require_admin(request)
    values = {key: request.query_params.get(key, "")[:200] for key in FILTERS}
    try:
        events = await call(container(request).list_audit_events(), _query(values), actor)
    except ValidationError as error:
        return render(
            request,
            "admin/audit.html",
            status_code=400,
            events=[],
            values=values,
            error=error.message,
        )
    return render(request, "admin/audit.html", events=events, values=values)


routes = [Route("/admin/audit", audit_page, methods=["GET"])]
