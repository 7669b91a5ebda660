"""The sign-in page as every way of signing in shows it (password, providers, links)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from aiops.domain.model.oidc import OidcProvider
from aiops.entrypoints.http.web import container, render


def providers(request: Request) -> dict[str, OidcProvider]:
    """The configured OpenID Connect providers by name (AIOPS_OIDC_PROVIDERS)."""
    return {provider.name: provider for provider in container(request).oidc_providers()}


def login(request: Request, status_code: int = 200, **context: object) -> Response:
    """The sign-in page: the password form (unless AIOPS_PASSWORD_LOGIN=false) and a button
    per OpenID Connect provider; `error` says why the last attempt failed."""
    context.setdefault("next", "/")
    return render(
        request,
        "login.html",
        status_code=status_code,
        password_login=container(request).settings().password_login,
        providers=list(providers(request).values()),
        **context,
    )
