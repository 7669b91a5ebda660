"""AuthlibOidcClient: the OidcClient port (issue 20), the authorization code flow with PKCE
against a discovered OpenID provider.

Authlib builds the protocol's pieces (state, nonce and verifier, the S256 challenge, the
authorization URL, the token request's body); joserfc checks the ID token's signature against
the provider's JWKS; httpx carries the requests. Authlib's own httpx client is not used: it
runs on `httpx2` when that is installed and falls back to httpx with a deprecation warning,
so its exceptions would depend on the install.

Discovery and the JWKS are cached per issuer for an hour; an ID token signed with a `kid`
the cached set lacks makes one refetch (at most every 30 s per issuer), so a key rotation at
the provider costs one request, and a flood of forged kids costs none. Calls are
synchronous (the HTTP layer runs them in its thread pool); the caches are thread-safe.
No token, code or secret is logged or put in a message."""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus

import attrs
import httpx
import structlog
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from aiops.adapters.oidc_tokens import (
    SIGNING_ALGORITHMS,
    Discovery,
    claims_problem,
    discovery_from,
    groups_of,
    one_line,
    provider_error,
    verified_of,
)
from aiops.domain.model.oidc import (
    OidcCheck,
    OidcClaims,
    OidcFailed,
    OidcPending,
    OidcProvider,
    OidcStart,
    issuer_problem,
)

log = structlog.get_logger("aiops.oidc")

TIMEOUT = 10.0
CACHE_SECONDS = 3600.0
REFETCH_SECONDS = 30.0


@attrs.define
class IssuerCache:
    discovery: Discovery
    keys: KeySet | None = None
    fetched_at: float = 0.0  # discovery and keys expire together
    refetched_at: float | None = None  # the last refetch for an unknown kid


class AuthlibOidcClient:
    """One per process; `allow_insecure_loopback` lets http:// issuers on loopback through
    (tests, local trials); `groups_claim` names the claim that carries the groups."""

    def __init__(
        self,
        *,
        allow_insecure_loopback: bool = False,
        groups_claim: str = "groups",
        timeout: float = TIMEOUT,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._insecure_ok = allow_insecure_loopback
        self._groups_claim = groups_claim
        self._timeout = timeout
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._cache: dict[str, IssuerCache] = {}
        self._lock = threading.Lock()

    def begin(self, provider: OidcProvider, redirect_uri: str, next_path: str = "/") -> OidcStart:
        found = self._discovery(provider)
        pending = OidcPending(
            provider=provider.name,
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            next_path=next_path,
        )
        url = prepare_grant_uri(
            found.authorization_endpoint,
            client_id=provider.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=" ".join(provider.scopes),
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
        return OidcStart(url=str(url), pending=pending)

    def finish(
        self,
        provider: OidcProvider,
        redirect_uri: str,
        pending: OidcPending,
        params: Mapping[str, str],
    ) -> OidcClaims:
        if pending.provider != provider.name:
            raise OidcFailed("this answer belongs to another provider's sign-in: start again")
        if "error" in params:
            raise OidcFailed(
                f"{provider.shown_label} refused the sign-in: {provider_error(params)}"
            )
        state = params.get("state")
        if not state:
            raise OidcFailed("the provider's answer carries no state: start the sign-in again")
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise OidcFailed("the answer's state is not this sign-in's: start the sign-in again")
        code = params.get("code")
        if not code:
            raise OidcFailed("the provider's answer carries no code: start the sign-in again")
        found = self._discovery(provider)
        tokens = self._exchange(provider, found, redirect_uri, code, pending.code_verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise OidcFailed("the token endpoint answered without an ID token")
        claims = self._verified(provider, found, id_token, pending.nonce)
        access_token = tokens.get("access_token")
        if (
            self._needs_userinfo(claims)
            and found.userinfo_endpoint
            and isinstance(access_token, str)
        ):
            claims = {**self._userinfo(found.userinfo_endpoint, access_token, claims), **claims}
        return self._claims(provider, claims, id_token)

    def logout_url(
        self, provider: OidcProvider, id_token_hint: str, post_logout_redirect_uri: str
    ) -> str | None:
        try:
            found = self._discovery(provider)
        except OidcFailed:
            return None
        if not found.end_session_endpoint:
            return None
        params = {
            "id_token_hint": id_token_hint,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": provider.client_id,
        }
        url = httpx.URL(found.end_session_endpoint)
        return str(url.copy_merge_params({k: v for k, v in params.items() if v}))

    def check(self, provider: OidcProvider) -> OidcCheck:
        try:
            found = self._fetch_discovery(provider)
            keys = self._fetch_keys(found)
        except OidcFailed as error:
            return OidcCheck(provider=provider.name, ok=False, message=str(error))
        with self._lock:
            self._cache[provider.issuer] = IssuerCache(found, keys, self._monotonic())
        return OidcCheck(
            provider=provider.name,
            ok=True,
            message=f"discovery read; {len(keys.keys)} signing key(s) published",
            authorization_endpoint=found.authorization_endpoint,
            end_session_endpoint=found.end_session_endpoint or "",
            keys=len(keys.keys),
        )

    # --- discovery and keys ----------------------------------------------------------------

    def _discovery(self, provider: OidcProvider) -> Discovery:
        with self._lock:
            cached = self._cache.get(provider.issuer)
            if cached and self._monotonic() - cached.fetched_at < CACHE_SECONDS:
                return cached.discovery
        found = self._fetch_discovery(provider)
        with self._lock:
            self._cache[provider.issuer] = IssuerCache(found, None, self._monotonic())
        return found

    def _fetch_discovery(self, provider: OidcProvider) -> Discovery:
        problem = issuer_problem(provider.issuer, allow_insecure_loopback=self._insecure_ok)
        if problem:
            raise OidcFailed(problem)
        url = f"{provider.issuer.rstrip('/')}/.well-known/openid-configuration"
        document = self._get_json(url, "discovery")
        log.info("oidc.discovered", provider=provider.name, issuer=provider.issuer)
        return discovery_from(document, provider.issuer, allow_insecure_loopback=self._insecure_ok)

    def _fetch_keys(self, found: Discovery) -> KeySet:
        document = self._get_json(found.jwks_uri, "the key set (JWKS)")
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise OidcFailed(f"{found.jwks_uri}: the key set (JWKS) has no keys")
        signing = [k for k in keys if isinstance(k, dict) and k.get("use", "sig") == "sig"]
        try:
            return KeySet.import_key_set({"keys": signing})
        except (JoseError, ValueError, TypeError) as error:
            raise OidcFailed(f"{found.jwks_uri}: no usable signing key ({error})") from None

    def _key_for(self, provider: OidcProvider, found: Discovery, kid: str | None) -> Any:
        """The cached key named `kid` (or the only key when the token names none); on a miss,
        the JWKS refetched once, unless a refetch for this issuer happened in the last 30 s."""
        with self._lock:
            cached = self._cache.setdefault(
                provider.issuer, IssuerCache(found, None, self._monotonic())
            )
            keys = cached.keys
        if keys is None:
            keys = self._fetch_keys(found)
            with self._lock:
                cached.keys = keys
        if (key := find_key(keys, kid)) is not None:
            return key
        now = self._monotonic()
        with self._lock:
            if cached.refetched_at is not None and now - cached.refetched_at < REFETCH_SECONDS:
                raise OidcFailed("the ID token is signed by a key the provider does not publish")
            cached.refetched_at = now
        keys = self._fetch_keys(found)
        with self._lock:
            cached.keys = keys
        log.info("oidc.keys_refetched", provider=provider.name, keys=len(keys.keys))
        if (key := find_key(keys, kid)) is not None:
            return key
        raise OidcFailed("the ID token is signed by a key the provider does not publish")

    # --- the token endpoint, the ID token, userinfo ----------------------------------------

    def _exchange(
        self, provider: OidcProvider, found: Discovery, redirect_uri: str, code: str, verifier: str
    ) -> Mapping[str, object]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: tuple[str, str] | None = None
        if found.secret_in_form:
            form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
        else:  # RFC 6749 2.3.1: each form-encoded, then HTTP Basic
            auth = (form_encoded(provider.client_id), form_encoded(provider.client_secret))
        try:
            response = httpx.post(
                found.token_endpoint,
                data=form,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise OidcFailed(
                f"the token endpoint is unreachable ({type(error).__name__})"
            ) from None
        body = json_object(response)
        if response.status_code != 200 or body is None or "error" in body:
            refusal = provider_error({"error": str((body or {}).get("error", ""))})
            raise OidcFailed(
                f"the token endpoint refused the code (HTTP {response.status_code}, {refusal})"
            )
        return body

    def _verified(
        self, provider: OidcProvider, found: Discovery, id_token: str, nonce: str
    ) -> dict[str, object]:
        try:
            header = extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError) as error:
            raise OidcFailed(f"the ID token is not a signed JWT ({type(error).__name__})") from None
        if header.get("alg") not in SIGNING_ALGORITHMS:
            raise OidcFailed(
                f"the ID token's algorithm {one_line(str(header.get('alg')), 20)!r} is refused"
            )
        kid = header.get("kid")
        key = self._key_for(provider, found, kid if isinstance(kid, str) else None)
        try:
            token = jwt.decode(id_token, key, algorithms=list(SIGNING_ALGORITHMS))
        except JoseError:
            raise OidcFailed("the ID token's signature does not verify") from None
        claims = dict(token.claims)
        problem = claims_problem(
            claims,
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=nonce,
            now=self._wall_clock(),
        )
        if problem:
            log.info("oidc.token_refused", provider=provider.name, reason=problem)
            raise OidcFailed(problem)
        return claims

    def _needs_userinfo(self, claims: Mapping[str, object]) -> bool:
        return "email" not in claims or groups_of(claims.get(self._groups_claim)) is None

    def _userinfo(
        self, endpoint: str, access_token: str, claims: Mapping[str, object]
    ) -> dict[str, object]:
        try:
            response = httpx.get(
                endpoint,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as error:
            raise OidcFailed(
                f"the userinfo endpoint is unreachable ({type(error).__name__})"
            ) from None
        body = json_object(response)
        if response.status_code != 200 or body is None:
            raise OidcFailed(f"the userinfo endpoint answered HTTP {response.status_code}")
        if body.get("sub") != claims.get("sub"):  # OpenID Connect Core 5.3.2
            raise OidcFailed("the userinfo endpoint answered for another subject")
        return dict(body)

    def _claims(
        self, provider: OidcProvider, claims: Mapping[str, object], id_token: str
    ) -> OidcClaims:
        email, name = claims.get("email"), claims.get("name")
        return OidcClaims(
            provider=provider.name,
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) and email else None,
            email_verified=verified_of(claims.get("email_verified")) is True,
            name=name if isinstance(name, str) and name else None,
            groups=groups_of(claims.get(self._groups_claim)) or (),
            id_token=id_token,
        )

    def _get_json(self, url: str, what: str) -> dict[str, object]:
        try:
            response = httpx.get(url, headers={"Accept": "application/json"}, timeout=self._timeout)
        except httpx.HTTPError as error:
            raise OidcFailed(f"{what} at {url} is unreachable ({type(error).__name__})") from None
        if response.status_code != 200:
            raise OidcFailed(f"{what} at {url} answered HTTP {response.status_code}")
        body = json_object(response)
        if body is None:
            raise OidcFailed(f"{what} at {url} is not a JSON object")
        return body


def find_key(keys: KeySet, kid: str | None) -> Any:
    try:
        return keys.get_by_kid(kid)
    except JoseError:
        return None


def json_object(response: httpx.Response) -> dict[str, object] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def form_encoded(value: str) -> str:
    return quote_plus(value)
