"""Every route, every role, the expected status. A route without a row fails the build.

Roles: anonymous, viewer/member/owner of acme, owner of globex (another tenant), global admin.
Paths are filled with acme's resources, so "owner of another tenant" is the escalation case.
Browser routes get the session's CSRF token; API routes a bearer token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import World, csrf, sign_in

ROLES = {
    "anonymous": None,
    "viewer": World.VIEWER,
    "member": World.MEMBER,
    "owner": World.OWNER,
    "other_owner": World.OTHER_OWNER,
    "admin": World.ADMIN,
}
Body = Callable[[str], dict[str, Any]]


def everyone(status: int, anonymous: int | None = None) -> dict[str, int]:
    return {
        role: (anonymous if role == "anonymous" and anonymous is not None else status)
        for role in ROLES
    }


def only(allowed: dict[str, int], others: int, anonymous: int) -> dict[str, int]:
    return {role: allowed.get(role, anonymous if role == "anonymous" else others) for role in ROLES}


# (method, path template) -> (expected status by role, form/JSON body for the role)
MATRIX: dict[tuple[str, str], tuple[dict[str, int], Body | None]] = {
    ("GET", "/healthz"): (everyone(200), None),
    ("GET", "/readyz"): (everyone(200), None),
    ("GET", "/login"): (everyone(303, anonymous=200), None),
    ("POST", "/login"): (
        everyone(401),
        lambda role: {"email": "ghost@example.com", "password": "wrong"},
    ),
    ("POST", "/logout"): (everyone(303), lambda role: {}),
    ("GET", "/"): (everyone(200, anonymous=303), None),
    ("GET", "/profile"): (everyone(200, anonymous=303), None),
    ("POST", "/profile/password"): (
        everyone(400, anonymous=303),
        lambda role: {
            "current_password": "wrong",
            "new_password": "x" * 14,
            "confirm_password": "x" * 14,
        },
    ),
    ("POST", "/profile/tokens"): (everyone(200, anonymous=303), lambda role: {"name": f"m-{role}"}),
    ("POST", "/profile/tokens/{token_id:int}/revoke"): (
        only({"owner": 303, "admin": 303}, others=404, anonymous=303),
        lambda role: {},
    ),
}


def concrete(path: str, app: Container, world: World) -> str:
    owner_token = app.list_tokens()(World.OWNER)[0].id
    member = next(u for u in app.list_users()() if u.email == World.MEMBER)
    return (
        path.replace("{slug}", "acme")
        .replace("{project_id:int}", str(world.web_id))
        .replace("{user_id:int}", str(member.id))
        .replace("{token_id:int}", str(owner_token))
    )


def app_routes() -> set[tuple[str, str]]:
    found = set()
    for route in create_app_routes():
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def create_app_routes() -> list[Any]:
    from aiops.entrypoints.http.app import all_routes

    return all_routes()


def test_every_route_has_a_row_in_the_matrix() -> None:
    missing = sorted(app_routes() - set(MATRIX))
    stale = sorted(set(MATRIX) - app_routes())
    assert not missing, f"add these routes to the authorization matrix: {missing}"
    assert not stale, f"these matrix rows name no route: {stale}"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_route_answers_each_role_as_expected(app: Container, world: World, role: str) -> None:
    failures = []
    for (method, template), (expected, body) in sorted(MATRIX.items()):
        with TestClient(create_app(app), follow_redirects=False) as client:
            email = ROLES[role]
            if email:
                sign_in(client, email)
            path = concrete(template, app, world)
            if path.startswith("/api/"):
                headers = {"Authorization": f"Bearer {world.tokens[email]}"} if email else {}
                response = client.request(
                    method, path, json=body(role) if body else None, headers=headers
                )
            elif method == "GET":
                response = client.get(path)
            else:
                token = csrf(client, "/profile" if email else "/login")
                data = {**(body(role) if body else {}), "csrf_token": token}
                response = client.request(method, path, data=data)
            if response.status_code != expected[role]:
                failures.append(
                    f"{method} {path}: {response.status_code}, expected {expected[role]}"
                )
    assert not failures, "\n".join(failures)
