"""Sign in, sign out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import AuthenticationFailed, TooManyAttempts, ValidationError
from aiops.domain.usecases.auth import SignInCommand, SignOutCommand
from aiops.entrypoints.http.middleware import csrf_token
from aiops.entrypoints.http.web import (
    call,
    container,
    current_actor,
    field,
    form,
    redirect,
    remember,
    render,
)


def safe_next(target: str) -> str:
    """Only a local path: never another host (`//evil`, `https://...`, `/\\evil`)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


async def login_page(request: Request) -> Response:
    if await current_actor(request):
        return redirect("/")
    return render(request, "login.html", next=safe_next(request.query_params.get("next", "/")))


async def login(request: Request) -> Response:
    try:
        data = await form(request)
    except ValidationError as error:
        return render(request, "login.html", status_code=400, error=error.message, next="/")
    email, target = field(data, "email"), safe_next(field(data, "next", "/"))
    address = request.client.host if request.client else "unknown"
    try:
        signed_in = await call(
            container(request).sign_in(),
            SignInCommand(email=email, password=field(data, "password"), address=address),
        )
    except (AuthenticationFailed, TooManyAttempts) as error:
        status = 429 if isinstance(error, TooManyAttempts) else 401
        response = render(
            request,
            "login.html",
            status_code=status,
            error=error.message,
            email=email,
            next=target,
        )
        if status == 429:
            response.headers["Retry-After"] = str(error.retry_after)  # type: ignore[union-attr]
        return response
    request.session.clear()  # a new session on sign-in: no fixation
    remember(request, signed_in.actor.user_id, signed_in.session_generation)
    csrf_token(request.session)
    return redirect(target)


async def logout(request: Request) -> Response:
    """Sign out everywhere: every cookie of the user (a copy included) stops working."""
    actor = await current_actor(request)
    if actor is not None:
        await call(container(request).sign_out(), SignOutCommand(email=actor.name, actor=actor))
    request.session.clear()
    return redirect("/login")


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
