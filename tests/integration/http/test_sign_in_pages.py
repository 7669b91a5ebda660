"""The sign-in page's ways in over HTTP (issue 20), on both databases: password sign-in turned
off really refuses, a provider's button is shown (its secret never), a one-time link signs in
once, and a tenant's members say which roles came from the provider."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest
from dependency_injector import providers
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.access import SYSTEM
from aiops.domain.usecases.sign_in_links import CreateSignInLinkCommand
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import PASSWORD, World, bearer, csrf, sign_in

SECRET = "client-secret-never-shown"
PROVIDERS = {
    "corp": {
        "issuer": "https://login.example.com/realms/corp",
        "client_id": "aiops",
        "client_secret": SECRET,
        "label": "Corp SSO",
    }
}


def configured(app: Container, **changes: object) -> TestClient:
    app.settings.override(providers.Object(attrs.evolve(app.settings(), **changes)))
    return TestClient(create_app(app), follow_redirects=False)


@pytest.fixture
def without_passwords(app: Container, world: World) -> Iterator[TestClient]:
    with configured(app, password_login=False, oidc_providers=PROVIDERS) as client:
        yield client
    app.settings.reset_override()


def test_password_sign_in_turned_off_hides_the_form_and_refuses_a_right_password(
    without_passwords: TestClient,
) -> None:
    page = without_passwords.get("/login")
    assert page.status_code == 200
    assert 'name="password"' not in page.text
    assert 'href="/login/oidc/corp?next=/"' in page.text
    assert "Sign in with Corp SSO" in page.text

    token = csrf(without_passwords, "/login/link/" + "A" * 43)  # a page with a form
    refused = without_passwords.post(
        "/login", data={"email": World.OWNER, "password": PASSWORD, "csrf_token": token}
    )

    assert refused.status_code == 401
    assert "password sign-in is turned off" in refused.text
    assert without_passwords.get("/").headers["location"].startswith("/login")


def test_an_unknown_provider_is_404_and_the_secret_is_never_on_a_page(
    app: Container, world: World
) -> None:
    with configured(app, oidc_providers=PROVIDERS) as client:
        assert client.get("/login/oidc/nope").status_code == 404
        sign_in(client, World.ADMIN)
        settings = client.get("/admin/settings")
        login = client.get("/login")
    app.settings.reset_override()

    assert settings.status_code == 200
    assert 'data-provider="corp"' in settings.text
    assert "https://login.example.com/realms/corp" in settings.text
    assert "never" in settings.text  # no sign-in through it yet
    assert SECRET not in settings.text
    assert SECRET not in login.text


def test_a_sign_in_link_signs_in_once_and_its_page_spends_nothing(
    app: Container, world: World, without_passwords: TestClient
) -> None:
    link = app.create_sign_in_link()(CreateSignInLinkCommand(email=World.OWNER, actor=SYSTEM))
    path = f"/login/link/{link.secret}"

    for _ in range(2):  # a link previewer's GET, then the person's
        page = without_passwords.get(path)
        assert page.status_code == 200
        assert f'action="{path}"' in page.text
    token = csrf(without_passwords, path)
    used = without_passwords.post(path, data={"csrf_token": token})
    assert used.status_code == 303
    assert used.headers["location"] == "/"
    assert without_passwords.get("/").status_code == 200  # signed in as the owner

    without_passwords.cookies.clear()
    again = without_passwords.post(path, data={"csrf_token": csrf(without_passwords, path)})
    assert again.status_code == 401
    assert without_passwords.get("/").status_code == 303


def test_a_wrong_sign_in_link_is_refused(without_passwords: TestClient) -> None:
    path = "/login/link/" + "A" * 43
    refused = without_passwords.post(path, data={"csrf_token": csrf(without_passwords, path)})

    assert refused.status_code == 401
    assert without_passwords.get("/").status_code == 303


def test_members_say_their_roles_were_given_by_hand(client: TestClient, world: World) -> None:
    members = client.get("/api/v1/tenants/acme/members", headers=bearer(world, World.OWNER))

    assert members.status_code == 200
    assert {member["source"] for member in members.json()} == {"manual"}
