"""Admin -> Users (admins only): create, reset a password, sign out everywhere, grant or revoke
global admin."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import NotFound
from aiops.domain.model.users import User
from aiops.domain.usecases.auth import SignOutCommand
from aiops.domain.usecases.users import CreateUserCommand, SetAdminCommand, SetPasswordCommand
from aiops.entrypoints.http.admin._common import FORM_ERRORS, require_admin, status_for
from aiops.entrypoints.http.web import (
    call,
    container,
    field,
    flash,
    form,
    redirect,
    remember,
    render,
)

FIELDS = ("email", "name", "username", "linux_username")


async def users_page(request: Request, status_code: int = 200, **context: object) -> Response:
    actor = await require_admin(request)
    users = await call(container(request).list_users(), actor)
    context.setdefault("values", {})
    return render(request, "admin/users.html", status_code=status_code, users=users, **context)


async def list_users(request: Request) -> Response:
    return await users_page(request)


async def create_user(request: Request) -> Response:
    actor = await require_admin(request)
    values: dict[str, str] = {}
    app = container(request)
    try:
        data = await form(request)
        values = {key: field(data, key) for key in FIELDS}
        user = await call(
            app.create_user(),
            CreateUserCommand(
                email=values["email"],
                name=values["name"],
                username=values["username"] or None,
                linux_username=values["linux_username"] or None,
                is_admin=field(data, "is_admin") == "on",
                actor=actor,
            ),
        )
    except FORM_ERRORS as error:
        return await users_page(request, status_for(error), error=error.message, values=values)
    password = await _new_password(request, user)
    return await users_page(request, one_time=(user.email, password))


async def reset_password(request: Request) -> Response:
    await require_admin(request)
    user = await _user(request)
    password = await _new_password(request, user)
    return await users_page(request, one_time=(user.email, password))


async def sign_out(request: Request) -> Response:
    """Every cookie of the user stops working (the admin's own too, when it is them)."""
    actor = await require_admin(request)
    user = await _user(request)
    await call(container(request).sign_out(), SignOutCommand(email=user.email, actor=actor))
    flash(request, f"{user.email} is signed out everywhere.")
    return redirect("/admin/users")


async def set_admin(request: Request) -> Response:
    actor = await require_admin(request)
    user = await _user(request)
    data = await form(request)
    wanted = field(data, "is_admin") == "true"
    await call(
        container(request).set_admin(),
        SetAdminCommand(email=user.email, is_admin=wanted, actor=actor),
    )
    flash(request, f"{user.email} is {'now' if wanted else 'no longer'} a global admin.")
    return redirect("/admin/users")


async def _user(request: Request) -> User:
    actor = await require_admin(request)
    user_id = request.path_params["user_id"]
    users: list[User] = await call(container(request).list_users(), actor)
    found = [u for u in users if u.id == user_id]
    if not found:
        raise NotFound(f"user {user_id} does not exist")
    return found[0]


async def _new_password(request: Request, user: User) -> str:
    """A one-time password, shown once to the admin; the user changes it on their Profile."""
    actor = await require_admin(request)
    password = secrets.token_urlsafe(18)
    changed: User = await call(
        container(request).set_password(),
        SetPasswordCommand(email=user.email, password=password, actor=actor),
    )
    if changed.id == actor.user_id:  # their own: this browser stays signed in
        assert changed.id is not None
        remember(request, changed.id, changed.session_generation)
    return password


routes = [
    Route("/admin/users", list_users, methods=["GET"]),
    Route("/admin/users", create_user, methods=["POST"]),
    Route("/admin/users/{user_id:int}/password", reset_password, methods=["POST"]),
    Route("/admin/users/{user_id:int}/sign-out", sign_out, methods=["POST"]),
    Route("/admin/users/{user_id:int}/admin", set_admin, methods=["POST"]),
]
