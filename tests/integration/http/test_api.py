"""The JSON API: bearer tokens, the same rules as the pages, JSON errors, nothing half-done."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.auth import RevokeTokenCommand
from aiops.domain.usecases.projects import ListProjectsQuery
from tests.integration.http.conftest import World, bearer


def test_tenants_and_projects_for_an_owner(client: TestClient, world: World) -> None:
    auth = bearer(world, World.OWNER)

    tenants = client.get("/api/v1/tenants", headers=auth)
    projects = client.get("/api/v1/projects", headers=auth)
    one = client.get(f"/api/v1/projects/{world.web_id}", headers=auth)
    patched = client.patch("/api/v1/tenants/acme", json={"color": "#ABCDEF"}, headers=auth)
    created = client.post(
        "/api/v1/projects",
        json={"tenant": "acme", "slug": "mobile", "name": "Mobile"},
        headers=auth,
    )

    assert [t["slug"] for t in tenants.json()] == ["acme"]
    assert [p["slug"] for p in projects.json()] == ["web"]
    assert one.json() == {
        "id": world.web_id,
        "tenant_id": world.acme_id,
        "slug": "web",
        "name": "Web",
        "repo_url": None,
        "default_branch": "main",
        "identity_id": None,
        "has_https_token": False,
        "clone_filter": "none",
        "clone_depth": 0,
        "auto_pull_request": False,
        "auto_review_to_agent": False,
    }
    assert (patched.status_code, patched.json()["color"]) == (200, "#abcdef")
    assert (created.status_code, created.json()["slug"]) == (201, "mobile")


def test_admin_creates_tenants_and_users_without_exposing_hashes(
    client: TestClient, world: World
) -> None:
    auth = bearer(world, World.ADMIN)

    tenant = client.post(
        "/api/v1/tenants", json={"slug": "initech", "name": "Initech"}, headers=auth
    )
    user = client.post(
        "/api/v1/users", json={"email": "Bob@Example.com", "name": "Bob"}, headers=auth
    )
    users = client.get("/api/v1/users", headers=auth).json()
    member = client.put(
        "/api/v1/tenants/initech/members",
        json={"email": "bob@example.com", "role": "member"},
        headers=auth,
    )

    assert (tenant.status_code, tenant.json()["color"]) == (201, "#3b82f6")
    assert (user.status_code, user.json()["email"], user.json()["username"]) == (
        201,
        "bob@example.com",
        "bob",
    )
    assert all("password_hash" not in u for u in users)
    assert member.json()["role"] == "member"
    assert [
        m["email"] for m in client.get("/api/v1/tenants/initech/members", headers=auth).json()
    ] == ["bob@example.com"]


def test_me_describes_the_caller(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/users/me", headers=bearer(world, World.VIEWER)).json()

    assert (me["email"], me["is_admin"], me["roles"]) == (
        World.VIEWER,
        False,
        {str(world.acme_id): "viewer"},
    )


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer aiops_not-a-token", "Basic dXNlcjpwYXNz"]
)
def test_no_valid_token_is_401(client: TestClient, world: World, header: str | None) -> None:
    response = client.get("/api/v1/tenants", headers={"Authorization": header} if header else {})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_revoked_token_is_401(app: Container, client: TestClient, world: World) -> None:
    [token] = app.list_tokens()(World.MEMBER)
    app.revoke_token()(RevokeTokenCommand(token_id=token.id))  # type: ignore[arg-type]

    assert client.get("/api/v1/tenants", headers=bearer(world, World.MEMBER)).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/tenants/globex", None),
        ("PATCH", "/api/v1/tenants/globex", {"name": "Mine"}),
        ("GET", "/api/v1/tenants/globex/members", None),
        ("PUT", "/api/v1/tenants/globex/members", {"email": "olga@example.com", "role": "owner"}),
        ("GET", "/api/v1/projects?tenant=globex", None),
        ("POST", "/api/v1/projects", {"tenant": "globex", "slug": "x", "name": "X"}),
    ],
)
def test_another_tenants_resources_are_404_like_missing_ones(
    client: TestClient, world: World, method: str, path: str, body: dict[str, str] | None
) -> None:
    auth = bearer(world, World.OWNER)

    hidden = client.request(method, path, json=body, headers=auth)
    missing = client.request(
        method,
        path.replace("globex", "nosuch"),
        json=body and {k: v.replace("globex", "nosuch") for k, v in body.items()},
        headers=auth,
    )

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["message"].replace("globex", "X") == missing.json()["error"][
        "message"
    ].replace("nosuch", "X")


def test_a_projects_clone_settings_are_set_and_checked_through_the_api(
    client: TestClient, world: World
) -> None:
    auth = bearer(world, World.OWNER)
    url = f"/api/v1/projects/{world.web_id}"

    patched = client.patch(url, json={"clone_filter": "blob:none", "clone_depth": 1}, headers=auth)
    bad_filter = client.patch(url, json={"clone_filter": "tree:0"}, headers=auth)
    bad_depth = client.patch(url, json={"clone_depth": -1}, headers=auth)
    created = client.post(
        "/api/v1/projects",
        json={"tenant": "acme", "slug": "big", "name": "Big", "clone_depth": 50},
        headers=auth,
    )

    assert patched.status_code == 200
    assert (patched.json()["clone_filter"], patched.json()["clone_depth"]) == ("blob:none", 1)
    for refused, field in ((bad_filter, "clone_filter"), (bad_depth, "clone_depth")):
        assert refused.status_code == 400
        assert field in str(refused.json()["error"])
    assert client.get(url, headers=auth).json()["clone_depth"] == 1  # the refusals changed nothing
    assert (created.json()["clone_filter"], created.json()["clone_depth"]) == ("none", 50)


def test_a_projects_loop_flags_are_set_through_the_api(client: TestClient, world: World) -> None:
    auth = bearer(world, World.OWNER)
    url = f"/api/v1/projects/{world.web_id}"

    patched = client.patch(url, json={"auto_pull_request": True}, headers=auth)
    refused = client.patch(url, json={"auto_review_to_agent": "yes"}, headers=auth)
    both = client.patch(url, json={"auto_review_to_agent": True}, headers=auth)

    assert (patched.status_code, patched.json()["auto_pull_request"]) == (200, True)
    assert patched.json()["auto_review_to_agent"] is False
    assert refused.status_code == 400
    assert "auto_review_to_agent" in str(refused.json()["error"])
    assert both.json()["auto_pull_request"] is True  # absent: kept
    assert client.get(url, headers=auth).json()["auto_review_to_agent"] is True


def test_another_tenants_project_by_id_is_404(client: TestClient, world: World) -> None:
    auth = bearer(world, World.OWNER)

    assert client.get(f"/api/v1/projects/{world.api_id}", headers=auth).status_code == 404
    assert (
        client.patch(
            f"/api/v1/projects/{world.api_id}", json={"name": "Mine"}, headers=auth
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("email", "method", "path", "body"),
    [
        (World.VIEWER, "PATCH", "/api/v1/tenants/acme", {"name": "Mine"}),
        (World.MEMBER, "POST", "/api/v1/projects", {"tenant": "acme", "slug": "x", "name": "X"}),
        (World.OWNER, "POST", "/api/v1/tenants", {"slug": "x", "name": "X"}),
        (World.OWNER, "GET", "/api/v1/users", None),
        (
            World.OWNER,
            "POST",
            "/api/v1/users",
            {"email": "x@example.com", "name": "X", "is_admin": True},
        ),
    ],
)
def test_visible_but_not_allowed_is_403(
    app: Container,
    client: TestClient,
    world: World,
    email: str,
    method: str,
    path: str,
    body: object,
) -> None:
    before = (app.list_tenants()(), app.list_projects()(ListProjectsQuery()), app.list_users()())

    response = client.request(method, path, json=body, headers=bearer(world, email))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert before == (
        app.list_tenants()(),
        app.list_projects()(ListProjectsQuery()),
        app.list_users()(),
    )


@pytest.mark.parametrize(
    ("content", "status", "words"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b'{"slug": "ok", "name": "Ok", "extra": 1}', 400, "extra"),
        (b'{"slug": 5, "name": "Ok"}', 400, "slug"),
        (b'{"name": "Ok"}', 400, "slug"),
        (b'{"slug": "Not A Slug", "name": "Ok"}', 400, "not a valid slug"),
        (b'{"slug": "ok", "name": "Ok", "color": "red"}', 400, "#RRGGBB"),
        (b'{"slug": "acme", "name": "Again"}', 409, "already exists"),
    ],
)
def test_bad_bodies_get_a_json_error_and_change_nothing(
    app: Container, client: TestClient, world: World, content: bytes, status: int, words: str
) -> None:
    before = app.list_tenants()()

    response = client.post(
        "/api/v1/tenants",
        content=content,
        headers={**bearer(world, World.ADMIN), "content-type": "application/json"},
    )

    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    assert app.list_tenants()() == before


def test_unknown_api_paths_are_json_404(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/nothing-here", headers=bearer(world, World.ADMIN))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_tenant_filter_that_is_no_slug_is_404_on_every_backend(
    client: TestClient, world: World
) -> None:
    response = client.get("/api/v1/projects?tenant=%00", headers=bearer(world, World.ADMIN))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
