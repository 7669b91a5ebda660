"""The origins the pages' policy lets a sign-out form go to: each provider's, once."""

from __future__ import annotations

from aiops.domain.model.oidc import OidcProvider, issuer_origins
from aiops.entrypoints.http.middleware import CSP, csp


def provider(name: str, issuer: str) -> OidcProvider:
    return OidcProvider(name=name, issuer=issuer, client_id="aiops", client_secret="s")


def test_each_issuer_origin_once_in_order_without_its_path() -> None:
    providers = (
        provider("corp", "https://login.example.com/realms/corp"),
        provider("ops", "https://login.example.com/realms/ops"),
        provider("dev", "http://127.0.0.1:9400"),
    )

    assert issuer_origins(providers) == ("https://login.example.com", "http://127.0.0.1:9400")


def test_the_policy_names_them_in_form_action_only() -> None:
    policy = csp(("https://login.example.com",))

    assert "form-action 'self' https://login.example.com;" in policy
    assert policy.replace(" https://login.example.com", "") == CSP
    assert csp(()) == CSP
