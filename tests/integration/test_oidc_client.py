"""AuthlibOidcClient against a real OpenID provider over HTTP (tests/oidc_provider.py): the
code flow with PKCE, and each way an answer is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from aiops.adapters.oidc import AuthlibOidcClient
from aiops.domain.model.oidc import OidcClaims, OidcFailed, OidcPending, OidcProvider
from tests.oidc_provider import OidcTestProvider, Tamper, running_oidc_provider

REDIRECT = "http://127.0.0.1:9/login/oidc/test/callback"


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcTestProvider]:
    with running_oidc_provider(redirect_uris=[REDIRECT]) as provider:
        yield provider


@pytest.fixture
def provider(idp: OidcTestProvider) -> OidcTestProvider:
    """The module's provider, its users and knobs reset for each test."""
    idp.reset()
    idp.set_user("alice", email="alice@example.com", name="Alice", groups=["ops", "dev"])
    idp.auto_sub = "alice"
    return idp


@pytest.fixture
def client() -> AuthlibOidcClient:
    return AuthlibOidcClient(allow_insecure_loopback=True)


def configured(idp: OidcTestProvider, **changes: str) -> OidcProvider:
    fields = {
        "name": "test",
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "label": "Test",
    } | changes
    return OidcProvider(**fields)


def authorize(url: str) -> dict[str, str]:
    """The browser's part, automatic: /authorize answers with a redirect to our callback."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{REDIRECT}?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(client: AuthlibOidcClient, idp: OidcTestProvider) -> OidcClaims:
    provider = configured(idp)
    start = client.begin(provider, REDIRECT, "/next")
    return client.finish(provider, REDIRECT, start.pending, authorize(start.url))


def refused(client: AuthlibOidcClient, idp: OidcTestProvider) -> str:
    with pytest.raises(OidcFailed) as caught:
        sign_in(client, idp)
    return str(caught.value)


def test_a_full_sign_in_gives_the_verified_claims(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    claims = sign_in(client, provider)

    assert claims.provider == "test"
    assert claims.subject == "alice"
    assert claims.email == "alice@example.com"
    assert claims.email_verified is True
    assert claims.name == "Alice"
    assert claims.groups == ("ops", "dev")
    assert claims.id_token == provider.issued[-1]
    assert provider.client_auth[-1] == "client_secret_basic"


def test_the_authorization_url_asks_for_the_code_with_pkce_state_and_nonce(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    start = client.begin(configured(provider), REDIRECT, "/projects")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.url).query).items()}

    assert start.url.startswith(f"{provider.issuer}/authorize?")
    assert query["response_type"] == "code"
    assert query["client_id"] == provider.client_id
    assert query["redirect_uri"] == REDIRECT
    assert query["scope"] == "openid email profile"
    assert query["state"] == start.pending.state
    assert query["nonce"] == start.pending.nonce
    assert query["code_challenge_method"] == "S256"
    assert start.pending.code_verifier not in start.url
    assert start.pending.next_path == "/projects"
    assert "code_verifier" not in repr(start.pending)
    assert provider.client_secret not in repr(configured(provider))


def test_the_login_page_signs_in_the_chosen_user(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.auto_sub = None
    provider.set_user("bob", email="bob@example.com", groups=["admins"])
    configured_provider = configured(provider)
    start = client.begin(configured_provider, REDIRECT)

    page = httpx.get(start.url, timeout=10)
    assert page.status_code == 200
    assert '<option value="bob">' in page.text
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answer = httpx.post(f"{provider.issuer}/authorize", data=fields | {"sub": "bob"}, timeout=10)
    assert answer.status_code == 303
    params = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}

    claims = client.finish(configured_provider, REDIRECT, start.pending, params)
    assert (claims.subject, claims.email, claims.groups) == ("bob", "bob@example.com", ("admins",))


def test_the_provider_refuses_an_unregistered_redirect_uri(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    start = client.begin(configured(provider), "http://127.0.0.1:9/elsewhere")

    response = httpx.get(start.url, follow_redirects=False, timeout=10)
    assert response.status_code == 400


def test_group_changes_at_the_provider_show_at_the_next_sign_in(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    assert sign_in(client, provider).groups == ("ops", "dev")
    provider.set_user("alice", email="alice@example.com", groups=["viewers"])

    assert sign_in(client, provider).groups == ("viewers",)


def test_groups_and_email_come_from_userinfo_when_the_id_token_lacks_them(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.groups_in_id_token = False
    before = provider.requests["GET /userinfo"]

    claims = sign_in(client, provider)

    assert claims.groups == ("ops", "dev")
    assert provider.requests["GET /userinfo"] == before + 1


def test_a_custom_groups_claim_is_read(provider: OidcTestProvider) -> None:
    provider.groups_claim = "roles"
    client = AuthlibOidcClient(allow_insecure_loopback=True, groups_claim="roles")

    assert sign_in(client, provider).groups == ("ops", "dev")


def test_the_secret_goes_in_the_form_when_the_provider_only_takes_that(
    provider: OidcTestProvider,
) -> None:
    provider.token_auth_methods = ["client_secret_post"]
    client = AuthlibOidcClient(allow_insecure_loopback=True)

    assert sign_in(client, provider).subject == "alice"
    assert provider.client_auth[-1] == "client_secret_post"


def test_a_wrong_client_secret_is_refused_without_showing_it(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    wrong = configured(provider, client_secret="not-the-secret")
    start = client.begin(wrong, REDIRECT)

    with pytest.raises(OidcFailed, match="refused the code") as caught:
        client.finish(wrong, REDIRECT, start.pending, authorize(start.url))
    assert "not-the-secret" not in str(caught.value)


def test_a_wrong_signature_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.tamper_next_token(Tamper.WRONG_SIGNATURE)
    assert "signature does not verify" in refused(client, provider)


def test_a_token_for_another_audience_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.tamper_next_token(Tamper.WRONG_AUDIENCE)
    assert "(aud)" in refused(client, provider)


def test_a_token_with_another_nonce_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.tamper_next_token(Tamper.WRONG_NONCE)
    assert "(nonce)" in refused(client, provider)


def test_a_token_from_another_issuer_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.tamper_next_token(Tamper.WRONG_ISSUER)
    assert "(iss)" in refused(client, provider)


def test_an_expired_token_is_refused(client: AuthlibOidcClient, provider: OidcTestProvider) -> None:
    provider.tamper_next_token(Tamper.EXPIRED)
    assert "expired" in refused(client, provider)


def test_an_answer_to_another_sign_in_is_refused_by_its_state(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    configured_provider = configured(provider)
    ours = client.begin(configured_provider, REDIRECT)
    theirs = client.begin(configured_provider, REDIRECT)
    answer = authorize(theirs.url)
    tokens_before = provider.requests["POST /token"]

    with pytest.raises(OidcFailed, match="state is not this sign-in's"):
        client.finish(configured_provider, REDIRECT, ours.pending, answer)
    assert provider.requests["POST /token"] == tokens_before  # the code was never exchanged


def test_a_replayed_answer_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    configured_provider = configured(provider)
    start = client.begin(configured_provider, REDIRECT)
    answer = authorize(start.url)
    client.finish(configured_provider, REDIRECT, start.pending, answer)

    with pytest.raises(OidcFailed, match="refused the code") as caught:
        client.finish(configured_provider, REDIRECT, start.pending, answer)
    assert answer["code"] not in str(caught.value)


def test_an_answer_without_state_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    configured_provider = configured(provider)
    start = client.begin(configured_provider, REDIRECT)
    answer = authorize(start.url)
    tokens_before = provider.requests["POST /token"]

    with pytest.raises(OidcFailed, match="no state"):
        client.finish(configured_provider, REDIRECT, start.pending, {"code": answer["code"]})
    assert provider.requests["POST /token"] == tokens_before


def test_access_denied_at_the_provider_is_refused_with_its_error(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    provider.refuse_next_sign_in()
    message = refused(client, provider)

    assert "Test refused the sign-in: access_denied" in message


def test_the_providers_error_text_is_cut_and_stripped_of_markup(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    pending = OidcPending(provider="test", state="s", nonce="n", code_verifier="v" * 43)
    params = {"error": "<script>alert(1)</script>" * 20, "error_description": "x" * 500}

    with pytest.raises(OidcFailed) as caught:
        client.finish(configured(provider), REDIRECT, pending, params)
    assert "<" not in str(caught.value)
    assert len(str(caught.value)) < 250


def test_a_rotated_key_is_fetched_once_then_cached(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    sign_in(client, provider)
    fetches = provider.jwks_fetches
    provider.rotate()

    assert sign_in(client, provider).subject == "alice"
    assert provider.jwks_fetches == fetches + 1
    assert sign_in(client, provider).subject == "alice"
    assert provider.jwks_fetches == fetches + 1


def test_a_key_the_provider_never_publishes_is_refused_after_one_refetch(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    sign_in(client, provider)
    fetches = provider.jwks_fetches
    provider.tamper_next_token(Tamper.UNPUBLISHED_KEY)

    assert "does not publish" in refused(client, provider)
    assert provider.jwks_fetches == fetches + 1


def test_discovery_is_cached_between_sign_ins(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    sign_in(client, provider)
    discoveries = provider.requests["GET /.well-known/openid-configuration"]

    sign_in(client, provider)
    assert provider.requests["GET /.well-known/openid-configuration"] == discoveries


def test_an_unknown_kid_refetches_at_most_once_in_30_seconds(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    sign_in(client, provider)
    provider.rotate()
    sign_in(client, provider)  # the one refetch
    provider.rotate()
    fetches = provider.jwks_fetches

    assert "does not publish" in refused(client, provider)
    assert provider.jwks_fetches == fetches


def test_an_http_issuer_on_loopback_needs_the_allow_flag(provider: OidcTestProvider) -> None:
    strict = AuthlibOidcClient(allow_insecure_loopback=False)

    with pytest.raises(OidcFailed, match="ALLOW_INSECURE_LOOPBACK"):
        strict.begin(configured(provider), REDIRECT)
    assert not strict.check(configured(provider)).ok


def test_an_http_issuer_off_loopback_is_always_refused(client: AuthlibOidcClient) -> None:
    remote = OidcProvider(
        name="remote", issuer="http://idp.example.com", client_id="c", client_secret="s"
    )

    with pytest.raises(OidcFailed, match="only https"):
        client.begin(remote, REDIRECT)


def test_a_discovery_naming_another_issuer_is_refused(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    aliased = configured(provider, issuer=provider.issuer.replace("127.0.0.1", "localhost"))

    with pytest.raises(OidcFailed, match="not the configured"):
        client.begin(aliased, REDIRECT)


def test_check_reports_the_published_keys(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    keys = len(provider.keys)
    fetches = provider.jwks_fetches

    result = client.check(configured(provider))

    assert result.ok, result.message
    assert result.keys == keys
    assert result.authorization_endpoint == f"{provider.issuer}/authorize"
    assert result.end_session_endpoint == f"{provider.issuer}/logout"
    assert provider.jwks_fetches == fetches + 1
    client.check(configured(provider))
    assert provider.jwks_fetches == fetches + 2  # never from the cache


def test_check_reports_an_unreachable_provider(client: AuthlibOidcClient) -> None:
    gone = OidcProvider(name="gone", issuer="http://127.0.0.1:9", client_id="c", client_secret="s")

    result = client.check(gone)

    assert not result.ok
    assert "unreachable" in result.message


def test_logout_url_carries_the_id_token_hint(
    client: AuthlibOidcClient, provider: OidcTestProvider
) -> None:
    claims = sign_in(client, provider)

    url = client.logout_url(configured(provider), claims.id_token, "http://127.0.0.1:9/login")
    assert url is not None
    response = httpx.get(url, follow_redirects=False, timeout=10)

    assert response.headers["location"] == "http://127.0.0.1:9/login"
    assert provider.logouts[-1] == {
        "id_token_hint": claims.id_token,
        "post_logout_redirect_uri": "http://127.0.0.1:9/login",
        "client_id": provider.client_id,
    }


def test_logout_url_is_none_without_an_end_session_endpoint(provider: OidcTestProvider) -> None:
    provider.end_session = False
    client = AuthlibOidcClient(allow_insecure_loopback=True)  # discovery read afresh

    assert client.logout_url(configured(provider), "token", "http://127.0.0.1:9/login") is None
