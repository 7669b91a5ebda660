"""Sign in, sign out (OpenID Connect and sign-in links: oidc_routes.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import AuthenticationFailed, TooManyAttempts, ValidationError
from aiops.domain.usecases.auth import SignInCommand, SignOutCommand
from aiops.entrypoints.http.middleware import csrf_token
from aiops.entrypoints.http.oidc_routes import SIGNED_IN_WITH, provider_logout
from aiops.entrypoints.http.sign_in_page import login
from aiops.entrypoints.http.web import (
    call,
    container,
    current_actor,
    field,
    form,
    redirect,
    remember,
    safe_next,
)


async def login_page(request: Request) -> Response:
    if await current_actor(request):
        return redirect("/")
    return login(request, next=safe_next(request.query_params.get("next", "/")))


async def password_login(request: Request) -> Response:
    try:
        data = await form(request)
    except ValidationError as error:
        return login(request, 400, error=error.message)
    email, target = field(data, "email"), safe_next(field(data, "next", "/"))
    address = request.client.host if request.client else "unknown"
    try:
        signed_in = await call(
            container(request).sign_in(),
            SignInCommand(email=email, password=field(data, "password"), address=address),
        )
    except (AuthenticationFailed, TooManyAttempts) as error:
        status = 429 if isinstance(error, TooManyAttempts) else 401
        response = login(request, status, error=error.message, email=email, next=target)
        if status == 429:
            response.headers["Retry-After"] = str(error.retry_after)  # type: ignore[union-attr]
        return response
    request.session.clear()  # a new session on sign-in: no fixation
    remember(request, signed_in.actor.user_id, signed_in.session_generation)
    csrf_token(request.session)
    return redirect(target)


async def logout(request: Request) -> Response:
    """Sign out everywhere: every cookie of the user (a copy included) stops working. A user
    who came from an OpenID Connect provider is then sent to its end-session page."""
    actor = await current_actor(request)
    if actor is not None:
        await call(container(request).sign_out(), SignOutCommand(email=actor.name, actor=actor))
    signed_in_with = request.session.get(SIGNED_IN_WITH)
    request.session.clear()
    at_provider = await provider_logout(request, signed_in_with) if actor else None
    return redirect(at_provider or "/login")


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", password_login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
