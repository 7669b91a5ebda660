"""The tests' OpenID provider (tests/oidc_provider.py) signs a person in through its login page
in a real browser, so the dashboard's "Sign in with ..." can be tested end to end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from aiops.adapters.oidc import AuthlibOidcClient
from aiops.domain.model.oidc import OidcProvider
from tests.oidc_provider import OidcTestProvider, running_oidc_provider

CALLBACK = "http://127.0.0.1:9/login/oidc/test/callback"


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcTestProvider]:
    with running_oidc_provider(redirect_uris=[CALLBACK]) as provider:
        provider.set_user("alice", email="alice@example.com", groups=["ops"])
        provider.set_user("bob", email="bob@example.com", name="Bob", groups=["admins"])
        yield provider


def test_a_person_picks_their_account_on_the_providers_page(
    page: Any, idp: OidcTestProvider
) -> None:
    provider = OidcProvider(
        name="test", issuer=idp.issuer, client_id=idp.client_id, client_secret=idp.client_secret
    )
    client = AuthlibOidcClient(allow_insecure_loopback=True)
    start = client.begin(provider, CALLBACK)
    # Nothing listens at the callback: the browser's arrival there is answered here.
    page.route(f"{CALLBACK}*", lambda route: route.fulfill(status=200, body="back in aiops"))

    page.goto(start.url)
    page.select_option("select[name=sub]", "bob")
    page.click("text=Sign in")
    page.wait_for_url(f"{CALLBACK}*")

    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    claims = client.finish(provider, CALLBACK, start.pending, params)
    assert (claims.subject, claims.name, claims.groups) == ("bob", "Bob", ("admins",))
