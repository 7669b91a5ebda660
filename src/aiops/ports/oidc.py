"""The OpenID Connect relying party (issue 20): the authorization code flow with PKCE, state
and nonce, against one configured provider at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from aiops.domain.model.oidc import OidcCheck, OidcClaims, OidcPending, OidcProvider, OidcStart


class OidcClient(Protocol):
    def begin(self, provider: OidcProvider, redirect_uri: str, next_path: str = "/") -> OidcStart:
        """The provider's authorization URL (discovered), with a fresh state, nonce and PKCE
        verifier kept in the returned OidcPending. Raises OidcFailed if discovery fails."""
        ...

    def finish(
        self,
        provider: OidcProvider,
        redirect_uri: str,
        pending: OidcPending,
        params: Mapping[str, str],
    ) -> OidcClaims:
        """The callback's query (`code`, `state`, or `error`) checked against `pending`, the
        code exchanged (with the verifier), the ID token's signature (JWKS, refetched once on an
        unknown `kid`) and claims (`iss`, `aud`, `exp`, `iat`, `nonce`) checked, userinfo read
        for missing email/groups. Raises OidcFailed naming the failed check."""
        ...

    def logout_url(
        self, provider: OidcProvider, id_token_hint: str, post_logout_redirect_uri: str
    ) -> str | None:
        """The provider's RP-initiated logout URL, or None when it has no
        end_session_endpoint (or discovery fails: aiops's own sign-out still happened)."""
        ...

    def check(self, provider: OidcProvider) -> OidcCheck:
        """Discovery and the key set fetched now (never from the cache): the admin's Test."""
        ...
