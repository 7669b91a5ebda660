"""The pure checks of the OpenID Connect relying party (issue 20): what a discovery document
must hold, what an ID token's claims must say, and how a provider's answers are read. No I/O,
so each is tested on its own (tests/unit/test_oidc_tokens.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeGuard

import attrs

from aiops.domain.model.oidc import OidcFailed, issuer_problem

LEEWAY = 60  # seconds of clock skew allowed between the provider and us
ERROR_TEXT = re.compile(r"[^A-Za-z0-9 ._:,;()/'-]")
# Asymmetric algorithms only: never `none`, never HS* (that would take the client secret).
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")


@attrs.frozen(kw_only=True)
class Discovery:
    """What aiops uses of a provider's /.well-known/openid-configuration."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    token_auth_methods: tuple[str, ...] = ("client_secret_basic",)

    @property
    def secret_in_form(self) -> bool:
        """client_secret_post when the provider takes only that; else client_secret_basic."""
        methods = self.token_auth_methods
        return "client_secret_post" in methods and "client_secret_basic" not in methods


def discovery_from(
    document: Mapping[str, object], issuer: str, *, allow_insecure_loopback: bool
) -> Discovery:
    """The discovery document read and checked: its `issuer` is exactly the configured one,
    and every endpoint is https (or loopback http when allowed). Raises OidcFailed."""
    if document.get("issuer") != issuer:
        shown = one_line(str(document.get("issuer")), 100)
        raise OidcFailed(f"discovery names the issuer {shown!r}, not the configured {issuer!r}")

    def endpoint(name: str, *, required: bool) -> str | None:
        value = document.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise OidcFailed(f"{issuer}: discovery has no {name}")
        problem = issuer_problem(value, allow_insecure_loopback=allow_insecure_loopback)
        if problem:
            raise OidcFailed(f"{issuer}: discovery's {name} is refused: {problem}")
        return value

    methods = document.get("token_endpoint_auth_methods_supported")
    return Discovery(
        issuer=issuer,
        authorization_endpoint=str(endpoint("authorization_endpoint", required=True)),
        token_endpoint=str(endpoint("token_endpoint", required=True)),
        jwks_uri=str(endpoint("jwks_uri", required=True)),
        userinfo_endpoint=endpoint("userinfo_endpoint", required=False),
        end_session_endpoint=endpoint("end_session_endpoint", required=False),
        token_auth_methods=(
            tuple(m for m in methods if isinstance(m, str))
            if isinstance(methods, list)
            else ("client_secret_basic",)
        ),
    )


def claims_problem(
    claims: Mapping[str, object], *, issuer: str, client_id: str, nonce: str, now: float
) -> str | None:
    """Which check an ID token's claims fail (OpenID Connect Core 3.1.3.7), or None."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return "the ID token has no subject (sub)"
    if claims.get("iss") != issuer:
        return "the ID token was issued by another issuer (iss)"
    if claims.get("nonce") != nonce:
        return "the ID token answers another sign-in (nonce)"
    return audience_problem(claims, client_id) or lifetime_problem(claims, now)


def audience_problem(claims: Mapping[str, object], client_id: str) -> str | None:
    """`aud` names us; with several audiences, `azp` must too (and always when present)."""
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        return "the ID token is meant for another client (aud)"
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        return "the ID token was issued to another party (azp)"
    return None


def lifetime_problem(claims: Mapping[str, object], now: float) -> str | None:
    """`exp` not past and `iat` not ahead, give or take LEEWAY."""
    exp, iat = claims.get("exp"), claims.get("iat")
    if is_number(exp) and is_number(iat):
        if exp <= now - LEEWAY:
            return "the ID token has expired (exp)"
        if iat > now + LEEWAY:
            return "the ID token was issued in the future (iat): check the clocks"
        return None
    return "the ID token has no valid lifetime (exp, iat)"


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def groups_of(value: object) -> tuple[str, ...] | None:
    """A groups claim read: a list of strings (others dropped), or a string as one group;
    None when the claim says nothing usable (absent, a number, an object)."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(g for g in value if isinstance(g, str) and g)
    return None


def verified_of(value: object) -> bool | None:
    """email_verified read; some providers send the string "true"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def one_line(text: str, limit: int) -> str:
    """Outside text made safe to show: printable ASCII without markup, at most `limit`."""
    cleaned = ERROR_TEXT.sub("", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def provider_error(params: Mapping[str, str]) -> str:
    """The callback's `error` (and description) as a short, harmless message."""
    error = one_line(params.get("error", ""), 40) or "an error"
    description = one_line(params.get("error_description", ""), 120)
    return f"{error} ({description})" if description else error
