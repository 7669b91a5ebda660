"""The OpenID relying party's pure checks: discovery documents, ID token claims, the
provider's groups and error text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.adapters.oidc_tokens import (
    Discovery,
    claims_problem,
    discovery_from,
    groups_of,
    one_line,
    provider_error,
    verified_of,
)
from aiops.domain.model.oidc import OidcFailed

ISSUER = "https://idp.example.com"
NOW = 1_800_000_000


def claims(**changes: Any) -> dict[str, Any]:
    good = {
        "iss": ISSUER,
        "sub": "alice",
        "aud": "aiops",
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": "n-1",
    }
    return {k: v for k, v in (good | changes).items() if v is not None}


def problem(**changes: Any) -> str | None:
    return claims_problem(claims(**changes), issuer=ISSUER, client_id="aiops", nonce="n-1", now=NOW)


def test_good_claims_pass() -> None:
    assert problem() is None
    assert problem(aud=["aiops"]) is None
    assert problem(aud=["aiops", "api"], azp="aiops") is None
    assert problem(exp=NOW - 30) is None  # within the clock leeway


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"sub": None}, "(sub)"),
        ({"sub": ""}, "(sub)"),
        ({"iss": "https://idp.example.com/"}, "(iss)"),
        ({"aud": "other"}, "(aud)"),
        ({"aud": ["other", "api"]}, "(aud)"),
        ({"aud": 7}, "(aud)"),
        ({"aud": ["aiops", "api"]}, "(azp)"),
        ({"azp": "other"}, "(azp)"),
        ({"exp": None}, "(exp, iat)"),
        ({"iat": "yesterday"}, "(exp, iat)"),
        ({"exp": True}, "(exp, iat)"),
        ({"exp": NOW - 120}, "expired"),
        ({"iat": NOW + 600}, "future"),
        ({"nonce": "n-2"}, "(nonce)"),
        ({"nonce": None}, "(nonce)"),
    ],
)
def test_each_bad_claim_is_named(changes: dict[str, Any], named: str) -> None:
    assert named in (problem(**changes) or "")


def document(**changes: Any) -> dict[str, Any]:
    good = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
    }
    return {k: v for k, v in (good | changes).items() if v is not None}


def test_discovery_reads_the_endpoints() -> None:
    found = discovery_from(
        document(end_session_endpoint=f"{ISSUER}/logout"), ISSUER, allow_insecure_loopback=False
    )

    assert found.token_endpoint == f"{ISSUER}/token"
    assert found.end_session_endpoint == f"{ISSUER}/logout"
    assert found.userinfo_endpoint is None
    assert not found.secret_in_form


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"issuer": "https://other.example.com"}, "not the configured"),
        ({"token_endpoint": None}, "no token_endpoint"),
        ({"jwks_uri": "http://idp.example.com/jwks"}, "jwks_uri is refused"),
        ({"userinfo_endpoint": 3}, "no userinfo_endpoint"),
    ],
)
def test_a_bad_discovery_is_refused(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(OidcFailed, match=named):
        discovery_from(document(**changes), ISSUER, allow_insecure_loopback=True)


@pytest.mark.parametrize(
    ("methods", "in_form"),
    [
        (("client_secret_basic", "client_secret_post"), False),
        (("client_secret_post",), True),
        (("private_key_jwt",), False),
    ],
)
def test_the_client_secret_goes_in_the_form_only_when_basic_is_not_offered(
    methods: tuple[str, ...], in_form: bool
) -> None:
    found = Discovery(
        issuer=ISSUER,
        authorization_endpoint="",
        token_endpoint="",
        jwks_uri="",
        token_auth_methods=methods,
    )
    assert found.secret_in_form is in_form


def test_groups_are_a_list_of_strings_or_one_string() -> None:
    assert groups_of(["ops", 3, "", "dev", None]) == ("ops", "dev")
    assert groups_of("ops") == ("ops",)
    assert groups_of("") == ()
    assert groups_of(None) is None
    assert groups_of({"ops": True}) is None
    assert groups_of(42) is None


def test_email_verified_accepts_a_boolean_or_its_string() -> None:
    assert verified_of(True) is True
    assert verified_of("true") is True
    assert verified_of("False") is False
    assert verified_of("yes") is None
    assert verified_of(1) is None


def test_the_providers_error_is_short_and_plain() -> None:
    assert provider_error({"error": "access_denied"}) == "access_denied"
    message = provider_error({"error": "x<b>", "error_description": 'User said "no" & left'})
    assert message == "xb (User said no  left)"


@given(st.text(), st.integers(min_value=2, max_value=200))
def test_outside_text_never_carries_markup_or_exceeds_its_limit(text: str, limit: int) -> None:
    shown = one_line(text, limit)

    assert len(shown) <= limit
    assert not set(shown) & set('<>&"\n\r\t\x00')
