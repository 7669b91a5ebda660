"""repo_url over HTTP, on both databases: a tenant owner may not point a project at a local path,
file:// or a private address (unless AIOPS_GIT_ALLOW_PRIVATE_NETWORKS), and their new remote
clears the token and identity an admin gave the old one; an admin's keeps them. Remotes here
are address literals (TEST-NET-3 is public to the guard), so no test needs DNS."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from starlette.testclient import TestClient

from aiops.config import Settings
from aiops.container import Container, bootstrap
from aiops.domain.usecases.identities import AddIdentityCommand
from aiops.domain.usecases.projects import ListProjectsQuery, UpdateProjectCommand
from aiops.entrypoints.http.app import create_app
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import World, bearer, post_form, sign_in
from tests.strategies import public_key

PUBLIC = "https://203.0.113.7/acme/web.git"
TOKEN = "ghp_AdminGivenT0ken"


@pytest.fixture
def credentialed(app: Container, world: World) -> int:
    """acme/web on a public remote with an https token and an SSH identity, given by an admin."""
    identity = app.add_identity()(AddIdentityCommand(name="deploy", public_key=public_key()))
    app.update_project()(
        UpdateProjectCommand(
            project_id=world.web_id, repo_url=PUBLIC, https_token=TOKEN, identity_id=identity.id
        )
    )
    return identity.id or 0


def slugs(app: Container) -> set[str]:
    return {p.slug for p in app.list_projects()(ListProjectsQuery())}


@pytest.mark.parametrize("url", ["file:///srv/git/web.git", "/srv/git/web.git"])
def test_an_owner_may_not_create_or_repoint_a_project_at_a_local_remote(
    app: Container, client: TestClient, world: World, url: str
) -> None:
    auth = bearer(world, World.OWNER)
    before = (slugs(app), app.get_project()(world.web_id))

    created = client.post(
        "/api/v1/projects",
        json={"tenant": "acme", "slug": "local", "name": "Local", "repo_url": url},
        headers=auth,
    )
    changed = client.patch(f"/api/v1/projects/{world.web_id}", json={"repo_url": url}, headers=auth)

    for response in (created, changed):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "remote_refused"
        assert "for global admins only" in response.json()["error"]["message"]
    assert (slugs(app), app.get_project()(world.web_id)) == before


def test_an_admin_may_use_a_local_remote(app: Container, client: TestClient, world: World) -> None:
    response = client.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": "file:///srv/git/web.git"},
        headers=bearer(world, World.ADMIN),
    )

    assert response.status_code == 200
    assert response.json()["repo_url"] == "file:///srv/git/web.git"
    assert response.json()["cleared"] == []


@pytest.mark.parametrize("email", [World.OWNER, World.ADMIN])
def test_nobody_points_a_project_at_the_metadata_service(
    app: Container, client: TestClient, world: World, email: str
) -> None:
    response = client.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": "http://169.254.169.254/latest/meta-data"},
        headers=bearer(world, email),
    )

    assert response.status_code == 400
    assert "link-local" in response.json()["error"]["message"]
    assert app.get_project()(world.web_id).repo_url is None


def test_an_owners_repoint_clears_the_token_and_identity_and_says_so(
    app: Container, client: TestClient, world: World, credentialed: int
) -> None:
    response = client.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": "git@203.0.113.99:olga/web.git"},
        headers=bearer(world, World.OWNER),
    )

    assert response.status_code == 200
    assert response.json()["cleared"] == ["https_token", "identity"]
    assert response.json()["has_https_token"] is False
    assert response.json()["identity_id"] is None
    project = app.get_project()(world.web_id)
    assert (project.https_token_sealed, project.identity_id) == (None, None)
    [event, *_] = app.list_audit_events()(AuditQuery(action="project.updated"))
    assert event.actor == World.OWNER
    assert (event.detail["cleared"], event.detail["https_token"]) == (
        "https_token,identity",
        "cleared",
    )


def test_an_admins_repoint_keeps_the_token_and_identity(
    app: Container, client: TestClient, world: World, credentialed: int
) -> None:
    sealed = app.get_project()(world.web_id).https_token_sealed

    response = client.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": "https://203.0.113.8/acme/web.git"},
        headers=bearer(world, World.ADMIN),
    )

    assert response.status_code == 200
    assert response.json()["cleared"] == []
    project = app.get_project()(world.web_id)
    assert (project.https_token_sealed, project.identity_id) == (sealed, credentialed)


def test_the_admin_form_says_what_an_owners_repoint_removed(
    app: Container, client: TestClient, world: World, credentialed: int
) -> None:
    sign_in(client, World.OWNER)
    form = {"name": "Web", "default_branch": "main", "identity_id": str(credentialed)}

    saved = post_form(
        client,
        f"/admin/projects/{world.web_id}",
        {**form, "repo_url": "https://203.0.113.99/olga/web.git"},
    )
    listing = client.get("/admin/projects")

    assert saved.status_code == 303
    assert "the https token and the SSH identity it had were removed" in listing.text
    project = app.get_project()(world.web_id)
    assert (project.https_token_sealed, project.identity_id) == (None, None)


def test_the_admin_form_refuses_an_owner_a_file_remote_and_stores_nothing(
    app: Container, client: TestClient, world: World, credentialed: int
) -> None:
    before = app.get_project()(world.web_id)
    sign_in(client, World.OWNER)

    page = post_form(
        client,
        f"/admin/projects/{world.web_id}",
        {"name": "Web", "default_branch": "main", "repo_url": "file:///etc"},
    )

    assert page.status_code == 403
    assert "for global admins only" in page.text
    assert app.get_project()(world.web_id) == before


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/web.git", "git@10.1.2.3:web.git", "ssh://[::1]/web.git"]
)
def test_private_addresses_are_refused_to_owners_by_default(
    app: Container, client: TestClient, world: World, url: str
) -> None:
    response = client.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": url},
        headers=bearer(world, World.OWNER),
    )

    assert response.status_code == 403
    assert "loopback or private" in response.json()["error"]["message"]
    assert app.get_project()(world.web_id).repo_url is None


@pytest.fixture
def private_allowed(settings: Settings, world: World) -> Iterator[TestClient]:
    """The same database served by an app with AIOPS_GIT_ALLOW_PRIVATE_NETWORKS=true."""
    allowing = bootstrap(attrs.evolve(settings, git_allow_private_networks=True))
    with TestClient(create_app(allowing), follow_redirects=False) as client:
        yield client
    allowing.shutdown_resources()


def test_private_addresses_are_for_owners_when_the_setting_allows_them(
    app: Container, world: World, private_allowed: TestClient
) -> None:
    private = private_allowed.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": "git@10.1.2.3:web.git"},
        headers=bearer(world, World.OWNER),
    )
    metadata = private_allowed.patch(
        f"/api/v1/projects/{world.web_id}",
        json={"repo_url": "https://[fd00:ec2::254]/web.git"},
        headers=bearer(world, World.OWNER),
    )

    assert private.status_code == 200
    assert metadata.status_code == 400  # cloud metadata: never, whatever the setting
    assert app.get_project()(world.web_id).repo_url == "git@10.1.2.3:web.git"
