"""Sign in through the company's identity provider in a real browser (issue 20): the button on
/login, the provider's own sign-in page, back on the dashboard as the provider's user with the
role its group gives; sign-out ends at the provider, which sends the browser back to /login."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.oidc_provider import OidcTestProvider, running_oidc_provider

EMAIL = "grace@example.com"


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcTestProvider]:
    with running_oidc_provider() as provider:
        provider.set_user("u-grace", email=EMAIL, name="Grace", groups=["platform"])
        yield provider


@pytest.fixture(scope="module")
def live_server_env(idp: OidcTestProvider) -> dict[str, str]:
    corp = {
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "label": "Corp SSO",
    }
    return {
        "AIOPS_OIDC_PROVIDERS": json.dumps({"corp": corp}),
        "AIOPS_OIDC_ALLOW_INSECURE_LOOPBACK": "true",
        "AIOPS_OIDC_AUTO_CREATE": "true",
        "AIOPS_OIDC_GROUP_ROLES": json.dumps({"platform": "admin"}),
    }


def test_sign_in_with_the_provider_then_sign_out_there(
    page: Any, live_server: LiveServer, idp: OidcTestProvider
) -> None:
    idp.redirect_uris.append(f"{live_server.base_url}/login/oidc/corp/callback")
    page.goto(live_server.base_url + "/")
    page.click("text=Sign in with Corp SSO")
    page.wait_for_selector("text=Test provider")  # the provider's own page
    page.screenshot(path=str(page.output / "1-provider.png"), full_page=True)
    page.select_option("select#sub", "u-grace")
    page.click("button:has-text('Sign in')")

    page.wait_for_url(live_server.base_url + "/")
    assert EMAIL in page.inner_text("header")
    page.click("nav >> text=Admin")  # an admin, from the "platform" group
    assert page.url.startswith(live_server.base_url + "/admin")
    page.screenshot(path=str(page.output / "2-signed-in.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_url(live_server.base_url + "/login")
    assert idp.logouts, "the provider's end-session page was never visited"
    assert idp.logouts[-1]["id_token_hint"] == idp.issued[-1]
    page.goto(live_server.base_url + "/")
    assert page.url.endswith("/login?next=/")
