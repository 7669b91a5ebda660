"""Admin pages through real HTTP: the admin's work, owners' scope, bad input that changes nothing."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.projects import ListProjectsQuery
from tests.integration.http.conftest import World, sign_in
from tests.integration.http.conftest import post_form as post


def test_an_admin_creates_and_edits_a_tenant(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.ADMIN)

    created = post(
        client, "/admin/tenants", {"slug": "initech", "name": "Initech", "color": "#112233"}
    )
    edited = post(client, "/admin/tenants/initech", {"name": "Initech Ltd", "color": "#445566"})

    assert created.status_code == edited.status_code == 303
    tenant = app.get_tenant()("initech")
    assert (tenant.name, tenant.color) == ("Initech Ltd", "#445566")
    assert "Initech Ltd" in client.get("/admin/tenants").text


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"slug": "Bad Slug", "name": "X", "color": "#000000"}, 400, "not a valid slug"),
        ({"slug": "ok", "name": "  ", "color": "#000000"}, 400, "must not be blank"),
        ({"slug": "ok", "name": "X", "color": "red"}, 400, "#RRGGBB"),
        ({"slug": "acme", "name": "Again", "color": "#000000"}, 409, "already exists"),
        ({"slug": "ok", "name": "x" * 10_001, "color": "#000000"}, 400, "at most"),
    ],
)
def test_bad_tenant_input_reshows_the_form_and_changes_nothing(
    app: Container,
    client: TestClient,
    world: World,
    data: dict[str, str],
    status: int,
    message: str,
) -> None:
    sign_in(client, World.ADMIN)
    before = app.list_tenants()()

    response = post(client, "/admin/tenants", data)

    assert response.status_code == status
    assert message in response.text
    assert 'action="/admin/tenants"' in response.text
    assert app.list_tenants()() == before


def test_an_owner_sees_and_edits_only_their_tenant(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)

    page = client.get("/admin/tenants").text

    assert "acme" in page
    assert "globex" not in page
    assert 'action="/admin/tenants"' not in page  # no create form for owners
    assert post(client, "/admin/tenants", {"slug": "mine", "name": "Mine"}).status_code == 403
    assert client.get("/admin/tenants/globex").status_code == 404
    assert (
        post(client, "/admin/tenants/globex", {"name": "Mine", "color": "#000000"}).status_code
        == 404
    )
    assert app.get_tenant()("globex").name == "Globex"


def test_projects_are_created_and_edited_in_managed_tenants_only(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)

    created = post(
        client,
        "/admin/projects",
        {
            "tenant": "acme",
            "slug": "mobile",
            "name": "Mobile",
            # A tenant owner's remote must resolve to a public address (TEST-NET-3 here).
            "repo_url": "git@203.0.113.10:acme/mobile.git",
            "default_branch": "trunk",
        },
    )
    elsewhere = post(
        client, "/admin/projects", {"tenant": "globex", "slug": "sneaky", "name": "Sneaky"}
    )
    edited = post(
        client,
        f"/admin/projects/{world.web_id}",
        {"name": "Website", "repo_url": "", "default_branch": "main"},
    )
    foreign = post(
        client,
        f"/admin/projects/{world.api_id}",
        {"name": "Mine", "repo_url": "", "default_branch": "main"},
    )
    bad_branch = post(
        client,
        f"/admin/projects/{world.web_id}",
        {"name": "Website", "repo_url": "", "default_branch": "a..b"},
    )

    assert created.status_code == 303
    assert elsewhere.status_code == foreign.status_code == 404
    assert edited.status_code == 303
    assert bad_branch.status_code == 400
    projects = {p.slug: p for p in app.list_projects()(ListProjectsQuery())}
    assert projects["mobile"].default_branch == "trunk"
    assert projects["mobile"].repo_url == "git@203.0.113.10:acme/mobile.git"
    assert projects["web"].name == "Website"
    assert projects["api"].name == "API"
    assert "sneaky" not in projects


def test_the_project_forms_set_how_new_workspaces_are_cloned(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)
    form = {"name": "Web", "repo_url": "", "default_branch": "main"}

    page = client.get(f"/admin/projects/{world.web_id}")
    edited = post(
        client,
        f"/admin/projects/{world.web_id}",
        form | {"clone_filter": "blob:none", "clone_depth": "25"},
    )
    bad_depth = post(client, f"/admin/projects/{world.web_id}", form | {"clone_depth": "lots"})
    bad_filter = post(client, f"/admin/projects/{world.web_id}", form | {"clone_filter": "x"})
    created = post(
        client,
        "/admin/projects",
        {"tenant": "acme", "slug": "big", "name": "Big", "clone_filter": "blob:none"},
    )

    assert 'name="clone_filter"' in page.text
    assert 'name="clone_depth"' in page.text
    assert edited.status_code == created.status_code == 303
    assert bad_depth.status_code == bad_filter.status_code == 400
    assert "whole number" in bad_depth.text
    assert "not a clone filter" in bad_filter.text
    projects = {p.slug: p for p in app.list_projects()(ListProjectsQuery())}
    assert (projects["web"].clone_filter.value, projects["web"].clone_depth) == ("blob:none", 25)
    assert (projects["big"].clone_filter.value, projects["big"].clone_depth) == ("blob:none", 0)


def test_admin_creates_a_user_with_a_one_time_password_and_manages_admin_rights(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.ADMIN)

    created = post(client, "/admin/users", {"email": "Bob@Example.com", "name": "Bob"})
    password = re.search(r'id="one-time-password">([^<]+)<', created.text)
    bob = next(u for u in app.list_users()() if u.email == "bob@example.com")
    granted = post(client, f"/admin/users/{bob.id}/admin", {"is_admin": "true"})

    assert password is not None
    assert granted.status_code == 303
    assert next(u for u in app.list_users()() if u.email == "bob@example.com").is_admin
    with TestClient(client.app, follow_redirects=False) as bobs:
        sign_in(bobs, "bob@example.com", password.group(1))
        assert bobs.get("/admin/users").status_code == 200
    assert password.group(1) not in client.get("/admin/users").text  # shown once


def test_owners_cannot_make_anyone_admin_or_grant_roles_elsewhere(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)
    olga = next(u for u in app.list_users()() if u.email == World.OWNER)

    assert post(client, f"/admin/users/{olga.id}/admin", {"is_admin": "true"}).status_code == 403
    assert (
        post(
            client,
            "/admin/memberships",
            {"tenant": "globex", "email": World.OWNER, "role": "owner"},
        ).status_code
        == 404
    )
    assert client.get("/admin/memberships?tenant=globex").status_code == 404
    assert not next(u for u in app.list_users()() if u.email == World.OWNER).is_admin
    assert [m.user.email for m in app.list_members()("globex")] == [World.OTHER_OWNER]


def test_an_owner_grants_roles_in_their_tenant(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)

    granted = post(
        client, "/admin/memberships", {"tenant": "acme", "email": World.NOBODY, "role": "member"}
    )
    bad = post(
        client, "/admin/memberships", {"tenant": "acme", "email": World.NOBODY, "role": "god"}
    )

    assert granted.status_code == 303
    assert bad.status_code == 400
    assert "not a role" in bad.text
    roles = {m.user.email: m.role.value for m in app.list_members()("acme")}
    assert roles[World.NOBODY] == "member"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tenants",
        "/admin/projects",
        "/admin/memberships",
        "/admin/users",
        "/admin/settings",
        "/admin/audit",
    ],
)
def test_members_and_viewers_get_403_on_admin_pages(
    client: TestClient, world: World, path: str
) -> None:
    sign_in(client, World.MEMBER)

    assert client.get(path).status_code == 403


def test_settings_cards_and_filtered_audit(client: TestClient, world: World) -> None:
    sign_in(client, World.ADMIN)

    settings = client.get("/admin/settings").text
    audit = client.get("/admin/audit", params={"action": "tenant.created", "limit": "1"}).text
    bad = client.get("/admin/audit", params={"since": "yesterday"})

    assert 'data-card="database"' in settings
    assert "up to date" in settings
    assert audit.count("tenant.created") >= 1
    assert "membership.added" not in audit
    assert bad.status_code == 400
    assert "not a date" in bad.text
