"""Admin -> Settings: the "Sign-in providers" card (issue 20). Each OpenID Connect provider of
AIOPS_OIDC_PROVIDERS with its issuer, client id and scopes (never the secret), the last sign-in
through it, and a Test that fetches its discovery document and key set now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.model.access import Actor
from aiops.domain.model.oidc import OidcCheck
from aiops.entrypoints.http.admin._common import require_admin
from aiops.entrypoints.http.sign_in_page import providers
from aiops.entrypoints.http.web import call, container, flash, redirect

SETTINGS = "/admin/settings"


async def sign_in_card(request: Request, actor: Actor) -> dict[str, Any]:
    app = container(request)
    last = await call(app.last_oidc_sign_ins(), actor)
    settings = app.settings()
    return {
        "oidc_providers": [
            {
                "name": provider.name,
                "label": provider.shown_label,
                "issuer": provider.issuer,
                "client_id": provider.client_id,
                "scopes": " ".join(provider.scopes),
                "last_sign_in": shown_time(last.get(provider.name)),
            }
            for provider in providers(request).values()
        ],
        "password_login": settings.password_login,
        "oidc_auto_create": settings.oidc_auto_create,
    }


def shown_time(when: datetime | None) -> str:
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if when else "never"


def summary(check: OidcCheck) -> str:
    if not check.ok:
        return f"{check.provider}: {check.message}"
    logout = "offers" if check.end_session_endpoint else "has no"
    return (
        f"{check.provider}: discovery and {check.keys} signing key"
        f"{'s' if check.keys != 1 else ''} fetched; it {logout} RP-initiated logout."
    )


async def test_provider(request: Request) -> Response:
    await require_admin(request)
    provider = providers(request).get(request.path_params["name"])
    if provider is None:
        flash(request, "no such sign-in provider", "error")
        return redirect(SETTINGS)
    check = await call(container(request).oidc_client().check, provider)
    flash(request, summary(check), "info" if check.ok else "error")
    return redirect(SETTINGS)


routes = [Route("/admin/settings/oidc/{name}/test", test_provider, methods=["POST"])]
