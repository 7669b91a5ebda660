"""Sign in with an OpenID Connect provider over HTTP (issue 20), on both databases: aiops's
routes against a real provider on 127.0.0.1 (tests/oidc_provider.py), the browser's part done
by following the provider's redirects. Accounts, groups to roles at every sign-in, a replayed
answer, tampered tokens, sign-out at the provider, and the admin's Test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx
import pytest
from dependency_injector import providers
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import World, bearer, post_form
from tests.oidc_provider import OidcTestProvider, Tamper, running_oidc_provider

CALLBACK = "http://testserver/login/oidc/corp/callback"
GROUP_ROLES = {"platform": "admin", "acme-devs": "acme:member", "acme-leads": "acme:owner"}


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcTestProvider]:
    with running_oidc_provider(redirect_uris=[CALLBACK]) as provider:
        yield provider


@pytest.fixture
def provider(idp: OidcTestProvider) -> OidcTestProvider:
    idp.reset()
    return idp


@pytest.fixture
def client(app: Container, world: World, provider: OidcTestProvider) -> Iterator[TestClient]:
    """aiops with the provider as `corp`, its groups mapped to roles."""
    corp = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "label": "Corp",
    }
    settings = attrs.evolve(
        app.settings(),
        oidc_providers={"corp": corp},
        oidc_allow_insecure_loopback=True,
        oidc_group_roles=GROUP_ROLES,
    )
    app.settings.override(providers.Object(settings))
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield client
    app.settings.reset_override()


def through_provider(client: TestClient, idp: OidcTestProvider, sub: str) -> httpx.Response:
    """The browser's trip: aiops -> the provider (which signs `sub` in at once) -> aiops's
    callback; the callback's answer."""
    idp.auto_sub = sub
    started = client.get("/login/oidc/corp?next=/profile")
    assert started.status_code == 302, started.text
    answered = httpx.get(started.headers["location"], follow_redirects=False, timeout=10)
    assert answered.status_code == 303, answered.text
    callback = answered.headers["location"]
    assert callback.startswith(CALLBACK + "?")
    return client.get(callback.removeprefix("http://testserver"))


def signed_in_as(client: TestClient) -> str | None:
    me = client.get("/profile")
    if me.status_code != 200:
        return None
    return next(email for email in EMAILS if email in me.text)


EMAILS = (World.ADMIN, World.OWNER, World.MEMBER, World.VIEWER, World.NOBODY, "new@example.com")


def members(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    listed = client.get("/api/v1/tenants/acme/members", headers=bearer(world, World.ADMIN))
    return {member["email"]: member for member in listed.json()}


def test_a_verified_email_signs_in_its_user_and_the_sub_is_remembered(
    client: TestClient, provider: OidcTestProvider
) -> None:
    provider.set_user("u-max", email=World.MEMBER, name="Max")

    answer = through_provider(client, provider, "u-max")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/profile"
    assert signed_in_as(client) == World.MEMBER
    client.cookies.clear()
    provider.set_user("u-max", email="max.new@example.com", name="Max")  # a new address
    assert through_provider(client, provider, "u-max").status_code == 303  # found by sub
    assert "max.new@example.com" in client.get("/profile").text


def test_an_unverified_email_or_an_unknown_person_is_told_to_ask_an_admin(
    client: TestClient, provider: OidcTestProvider
) -> None:
    provider.set_user("u-eve", email=World.OWNER, email_verified=False)
    provider.set_user("u-new", email="new@example.com")

    for sub in ("u-eve", "u-new"):
        answer = through_provider(client, provider, sub)
        assert answer.status_code == 403
        assert "ask an admin" in answer.text
        assert signed_in_as(client) is None


def test_groups_give_roles_at_each_sign_in_and_hand_made_ones_stay(
    app: Container, client: TestClient, world: World, provider: OidcTestProvider
) -> None:
    provider.set_user("u-nora", email=World.NOBODY, groups=["acme-devs"])
    provider.set_user("u-olga", email=World.OWNER, groups=[])

    through_provider(client, provider, "u-nora")
    client.cookies.clear()
    through_provider(client, provider, "u-olga")
    client.cookies.clear()
    first = members(client, world)
    assert (first[World.NOBODY]["role"], first[World.NOBODY]["source"]) == ("member", "oidc")
    assert (first[World.OWNER]["role"], first[World.OWNER]["source"]) == ("owner", "manual")

    provider.users["u-nora"].groups = ["acme-leads", "platform"]
    through_provider(client, provider, "u-nora")
    assert members(client, world)[World.NOBODY]["role"] == "owner"
    assert client.get("/admin/settings").status_code == 200  # admin, from "platform"
    client.cookies.clear()

    provider.users["u-nora"].groups = []
    through_provider(client, provider, "u-nora")
    assert World.NOBODY not in members(client, world)
    assert client.get("/admin/settings").status_code == 403
    app.add_member()(AddMemberCommand(tenant="acme", email=World.NOBODY, role=Role.VIEWER))
    client.cookies.clear()
    through_provider(client, provider, "u-nora")  # no group: the hand-made role stays
    assert members(client, world)[World.NOBODY]["source"] == "manual"


def test_a_replayed_answer_is_refused(client: TestClient, provider: OidcTestProvider) -> None:
    provider.set_user("u-max", email=World.MEMBER)
    provider.auto_sub = "u-max"
    started = client.get("/login/oidc/corp")
    callback = httpx.get(started.headers["location"], timeout=10).headers["location"]
    path = callback.removeprefix("http://testserver")
    assert client.get(path).status_code == 303

    client.cookies.clear()  # another browser (an attacker) replays the answer
    replayed = client.get(path)
    assert replayed.status_code == 400
    assert signed_in_as(client) is None

    client.get("/login/oidc/corp")  # a flow of its own, answered with the old one
    crossed = client.get(path)
    assert crossed.status_code == 401
    assert "state" in crossed.text
    assert signed_in_as(client) is None


@pytest.mark.parametrize("tamper", list(Tamper))
def test_a_tampered_token_never_signs_in(
    client: TestClient, provider: OidcTestProvider, tamper: Tamper
) -> None:
    provider.set_user("u-max", email=World.MEMBER)
    provider.tamper_next_token(tamper)

    answer = through_provider(client, provider, "u-max")

    assert answer.status_code == 401
    assert "Corp:" in answer.text
    assert provider.issued[-1] not in answer.text
    assert signed_in_as(client) is None


def test_sign_out_ends_the_session_here_then_at_the_provider(
    client: TestClient, provider: OidcTestProvider
) -> None:
    provider.set_user("u-max", email=World.MEMBER)
    through_provider(client, provider, "u-max")

    out = post_form(client, "/logout", {})

    assert out.status_code == 303
    location = urlsplit(out.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == provider.issuer
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [provider.issued[-1]]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login"]
    assert signed_in_as(client) is None
    # The pages' policy lets a form's answer go there (Chromium applies form-action to it).
    policy = client.get("/login").headers["content-security-policy"]
    assert f"form-action 'self' {provider.issuer};" in policy


def test_the_admin_sees_the_last_sign_in_and_tests_the_provider(
    client: TestClient, provider: OidcTestProvider
) -> None:
    provider.set_user("u-ada", email=World.ADMIN)
    through_provider(client, provider, "u-ada")

    tested = post_form(client, "/admin/settings/oidc/corp/test", {})
    page = client.get("/admin/settings")

    assert tested.status_code == 303
    assert "corp: discovery and 1 signing key fetched" in page.text
    assert "never" not in page.text.split('data-provider="corp"')[1].split("</table>")[0]
    assert provider.client_secret not in page.text
