"""Admin -> Identities through real HTTP, and the identity of a project in its forms."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.identities import AddIdentityCommand
from tests.integration.http.conftest import World, sign_in
from tests.integration.http.conftest import post_form as post
from tests.strategies import public_key

KEY = public_key(comment="deploy@ci")


def test_an_admin_adds_an_identity_and_sees_its_fingerprint(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.ADMIN)

    added = post(client, "/admin/identities", {"name": "deploy", "public_key": KEY + "\r\n"})
    page = client.get("/admin/identities").text

    assert added.status_code == 303
    (listed,) = app.list_identities()()
    assert listed.owner_email == World.ADMIN
    assert listed.identity.fingerprint in page
    assert "deploy" in page
    assert KEY.split()[1] not in page  # the list shows fingerprints, not whole keys
    assert 'href="/admin/identities" aria-current="page"' in page


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"name": "Bad Name", "public_key": KEY}, 400, "not a valid identity name"),
        ({"name": "k", "public_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"}, 400,
         "this looks like a private key: paste the .pub file"),
        ({"name": "k", "public_key": "ssh-ed25519 AAAA"}, 400, "not a ssh-ed25519 key"),
        ({"name": "k", "public_key": "ssh-ed25519 " + "A" * 10_001}, 400, "at most"),
        ({"name": "taken", "public_key": KEY}, 409, "already exists"),
    ],
)  # fmt: skip
def test_bad_input_reshows_the_form_and_changes_nothing(
    app: Container,
    client: TestClient,
    world: World,
    data: dict[str, str],
    status: int,
    message: str,
) -> None:
    app.add_identity()(AddIdentityCommand(name="taken", public_key=public_key(key=b"t" * 32)))
    sign_in(client, World.ADMIN)

    response = post(client, "/admin/identities", data)

    assert response.status_code == status
    assert message in response.text
    assert 'action="/admin/identities"' in response.text
    assert [i.identity.name for i in app.list_identities()()] == ["taken"]


def test_an_owner_sees_identities_but_cannot_add_one(
    app: Container, client: TestClient, world: World
) -> None:
    app.add_identity()(AddIdentityCommand(name="deploy", public_key=KEY))
    sign_in(client, World.OWNER)

    page = client.get("/admin/identities")
    refused = post(client, "/admin/identities", {"name": "mine", "public_key": KEY})

    assert page.status_code == 200
    assert "deploy" in page.text
    assert 'action="/admin/identities"' not in page.text
    assert refused.status_code == 403
    assert len(app.list_identities()()) == 1


def test_an_admin_gives_a_project_an_identity_its_owner_may_only_clear_it(
    app: Container, client: TestClient, world: World
) -> None:
    deploy = app.add_identity()(AddIdentityCommand(name="deploy", public_key=KEY))
    edit = f"/admin/projects/{world.web_id}"
    fields = {"name": "Web", "repo_url": "", "default_branch": "main"}
    sign_in(client, World.OWNER)
    owner_form = client.get(edit).text
    borrowed = post(
        client,
        "/admin/projects",
        {"tenant": "acme", "slug": "ops", "name": "Ops", "identity_id": str(deploy.id)},
    )
    client.cookies.clear()
    sign_in(client, World.ADMIN)

    form = client.get(edit).text
    picked = post(client, edit, {**fields, "identity_id": str(deploy.id)})
    chosen = app.get_project()(world.web_id).identity_id
    unknown = post(client, edit, {**fields, "identity_id": "4242"})
    garbage = post(client, edit, {**fields, "identity_id": "x"})
    client.cookies.clear()
    sign_in(client, World.OWNER)
    kept_form = client.get(edit).text
    cleared = post(client, edit, {**fields, "identity_id": ""})

    assert f'<option value="{deploy.id}"' not in owner_form
    assert borrowed.status_code == 403
    assert f'<option value="{deploy.id}"' in form
    assert (picked.status_code, chosen) == (303, deploy.id)
    assert (unknown.status_code, garbage.status_code) == (409, 400)
    assert "identity 4242 does not exist" in unknown.text
    assert f'<option value="{deploy.id}" selected' in kept_form
    assert cleared.status_code == 303
    assert app.get_project()(world.web_id).identity_id is None
