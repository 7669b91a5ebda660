"""Sign in with an OpenID Connect provider (issue 20), and with a one-time sign-in link.

`/login/oidc/<name>` keeps the flow's state, nonce and PKCE verifier in the browser's signed
session cookie and sends it to the provider; the provider sends it back to
`/login/oidc/<name>/callback`, where the adapter checks everything the provider said before the
use case looks the person up. The session is cleared before it is marked signed in (no
fixation), and keeps the provider's name (and the ID token when small) for sign-out.
"""

from __future__ import annotations

from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from aiops.domain.errors import AuthenticationFailed
from aiops.domain.model.oidc import OidcFailed, OidcPending, SignInRefused
from aiops.domain.usecases.oidc import OidcSignInCommand
from aiops.domain.usecases.sign_in_links import RedeemSignInLinkCommand
from aiops.entrypoints.http.middleware import csrf_token
from aiops.entrypoints.http.sign_in_page import login, providers
from aiops.entrypoints.http.web import call, container, redirect, remember, render, safe_next

PENDING = "oidc_pending"
SIGNED_IN_WITH = "oidc"  # {"provider": name, "id_token": the ID token when it fits the cookie}
MAX_KEPT_ID_TOKEN = 1800  # bytes: the cookie holds 4 KB, the rest of the session included


def base_url(request: Request) -> str:
    """aiops's address as the browser sees it: AIOPS_URL when set (behind a proxy), else the
    request's."""
    configured: str = container(request).settings().url
    return (configured or str(request.base_url)).rstrip("/")


def callback_url(request: Request, name: str) -> str:
    return f"{base_url(request)}/login/oidc/{name}/callback"


def refused(request: Request, status: int, message: str) -> Response:
    """The sign-in page again, saying why (never a token or the provider's raw answer)."""
    return login(request, status, error=message)


async def start(request: Request) -> Response:
    provider = providers(request).get(request.path_params["name"])
    if provider is None:
        return refused(request, 404, "no such sign-in provider")
    target = safe_next(request.query_params.get("next", "/"))
    client = container(request).oidc_client()
    try:
        begun = await call(client.begin, provider, callback_url(request, provider.name), target)
    except OidcFailed as error:
        return refused(request, 502, error.message)
    request.session[PENDING] = attrs.asdict(begun.pending)
    return RedirectResponse(begun.url, status_code=302)


async def callback(request: Request) -> Response:
    provider = providers(request).get(request.path_params["name"])
    if provider is None:
        return refused(request, 404, "no such sign-in provider")
    kept = request.session.pop(PENDING, None)  # one use: a replayed answer finds nothing
    pending = _pending(kept)
    if pending is None or pending.provider != provider.name:
        return refused(request, 400, "this sign-in was not started here, or already finished")
    client = container(request).oidc_client()
    address = request.client.host if request.client else "unknown"
    try:
        claims = await call(
            client.finish,
            provider,
            callback_url(request, provider.name),
            pending,
            dict(request.query_params),
        )
        signed_in = await call(
            container(request).sign_in_with_oidc(),
            OidcSignInCommand(claims=claims, address=address),
        )
    except OidcFailed as error:
        return refused(request, 401, f"{provider.shown_label}: {error.message}")
    except SignInRefused as error:
        return refused(request, 403, error.message)
    request.session.clear()
    remember(request, signed_in.actor.user_id, signed_in.session_generation)
    kept_token = claims.id_token if len(claims.id_token) <= MAX_KEPT_ID_TOKEN else ""
    request.session[SIGNED_IN_WITH] = {"provider": provider.name, "id_token": kept_token}
    csrf_token(request.session)
    return redirect(pending.next_path)


def _pending(kept: Any) -> OidcPending | None:
    if not isinstance(kept, dict):
        return None
    try:
        return OidcPending(**{key: str(value) for key, value in kept.items()})
    except TypeError:
        return None


async def provider_logout(request: Request, signed_in_with: Any) -> str | None:
    """Where to send the browser after aiops's own sign-out: the provider's end-session page
    (RP-initiated logout) when the user came from one that offers it."""
    if not isinstance(signed_in_with, dict):
        return None
    provider = providers(request).get(str(signed_in_with.get("provider")))
    if provider is None:
        return None
    client = container(request).oidc_client()
    hint = str(signed_in_with.get("id_token") or "")
    url: str | None = await call(client.logout_url, provider, hint, f"{base_url(request)}/login")
    return url


async def link_page(request: Request) -> Response:
    """A sign-in link opens a page with a button: a link previewer's GET spends nothing."""
    return render(request, "sign_in_link.html", secret=request.path_params["secret"])


async def redeem_link(request: Request) -> Response:
    address = request.client.host if request.client else "unknown"
    command = RedeemSignInLinkCommand(secret=request.path_params["secret"], address=address)
    try:
        signed_in = await call(container(request).redeem_sign_in_link(), command)
    except AuthenticationFailed as error:
        return refused(request, 401, error.message)
    request.session.clear()
    remember(request, signed_in.actor.user_id, signed_in.session_generation)
    csrf_token(request.session)
    return redirect("/")


routes = [
    Route("/login/oidc/{name}", start, methods=["GET"]),
    Route("/login/oidc/{name}/callback", callback, methods=["GET"]),
    Route("/login/link/{secret}", link_page, methods=["GET"]),
    Route("/login/link/{secret}", redeem_link, methods=["POST"]),
]
