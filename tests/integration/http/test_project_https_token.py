"""A project's https token over HTTP: written through the API and the admin form, never
sent back (only whether there is one)."""

from __future__ import annotations

from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.projects import ListProjectsQuery
from tests.integration.http.conftest import World, bearer, post_form, sign_in

TOKEN = "ghp_HttpT0kenNeverEchoed"


def sealed_of(app: Container, project_id: int) -> str | None:
    project = app.get_project()(project_id)
    return project.https_token_sealed


def test_the_api_takes_the_token_and_answers_only_whether_there_is_one(
    client: TestClient, world: World, app: Container
) -> None:
    auth = bearer(world, World.OWNER)

    created = client.post(
        "/api/v1/projects",
        json={"tenant": "acme", "slug": "site", "name": "Site", "https_token": TOKEN},
        headers=auth,
    )
    pid = created.json()["id"]
    listed = client.get("/api/v1/projects", headers=auth)
    one = client.get(f"/api/v1/projects/{pid}", headers=auth)
    cleared = client.patch(
        f"/api/v1/projects/{pid}", json={"clear_https_token": True}, headers=auth
    )
    set_again = client.patch(
        f"/api/v1/projects/{world.web_id}", json={"https_token": TOKEN}, headers=auth
    )

    assert created.status_code == 201
    assert created.json()["has_https_token"] is True
    assert one.json()["has_https_token"] is True
    assert cleared.json()["has_https_token"] is False
    assert set_again.json()["has_https_token"] is True
    assert {p["slug"]: p["has_https_token"] for p in listed.json()} == {"web": False, "site": True}
    for response in (created, listed, one, cleared, set_again):
        assert TOKEN not in response.text
        assert "sealed" not in response.text
    assert sealed_of(app, pid) is None
    assert app.secret_box().open(sealed_of(app, world.web_id) or "") == TOKEN


def test_the_api_refuses_a_bad_token_without_repeating_it(
    client: TestClient, world: World, app: Container
) -> None:
    auth = bearer(world, World.OWNER)

    spaced = client.patch(
        f"/api/v1/projects/{world.web_id}", json={"https_token": "ghp_a b"}, headers=auth
    )
    both = client.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"https_token": TOKEN, "clear_https_token": True},
        headers=auth,
    )
    number = client.patch(f"/api/v1/projects/{world.web_id}", json={"https_token": 7}, headers=auth)

    assert (spaced.status_code, both.status_code, number.status_code) == (400, 400, 400)
    assert "ghp_a b" not in spaced.text
    assert TOKEN not in both.text
    assert sealed_of(app, world.web_id) is None


def test_members_cannot_set_the_token(client: TestClient, world: World, app: Container) -> None:
    for email in (World.MEMBER, World.VIEWER, World.OTHER_OWNER):
        response = client.patch(
            f"/api/v1/projects/{world.web_id}",
            json={"https_token": TOKEN},
            headers=bearer(world, email),
        )
        assert response.status_code in (403, 404), email

    assert sealed_of(app, world.web_id) is None


def test_the_admin_form_sets_keeps_and_removes_the_token(
    client: TestClient, world: World, app: Container
) -> None:
    sign_in(client, World.OWNER)
    page = f"/admin/projects/{world.web_id}"
    form = {"name": "Web", "repo_url": "", "default_branch": "main", "identity_id": ""}

    before = client.get(page)
    saved = post_form(client, page, {**form, "https_token": TOKEN})
    sealed = sealed_of(app, world.web_id)
    kept = post_form(client, page, {**form, "name": "Website", "https_token": ""})
    after_set = client.get(page)
    listing = client.get("/admin/projects")
    removed = post_form(client, page, {**form, "clear_https_token": "on"})

    assert 'type="password" name="https_token"' in before.text
    assert "remove the token" not in before.text
    assert (saved.status_code, kept.status_code, removed.status_code) == (303, 303, 303)
    assert sealed is not None
    assert app.secret_box().open(sealed) == TOKEN
    assert "remove the token" in after_set.text
    for response in (after_set, listing):
        assert TOKEN not in response.text
        assert sealed not in response.text
    assert sealed_of(app, world.web_id) is None


def test_the_admin_form_refuses_a_bad_token_without_showing_it(
    client: TestClient, world: World, app: Container
) -> None:
    sign_in(client, World.OWNER)
    bad = "ghp_with space"

    response = post_form(
        client,
        f"/admin/projects/{world.web_id}",
        {"name": "Web", "default_branch": "main", "https_token": bad},
    )
    created = post_form(
        client,
        "/admin/projects",
        {"tenant": "acme", "slug": "site", "name": "Site", "https_token": TOKEN},
    )

    assert response.status_code == 400
    assert "line breaks or control characters" in response.text
    assert bad not in response.text
    assert created.status_code == 303
    site = [p for p in app.list_projects()(ListProjectsQuery()) if p.slug == "site"]
    assert app.secret_box().open(site[0].https_token_sealed or "") == TOKEN
