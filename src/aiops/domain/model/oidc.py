"""Sign-in through an OpenID Connect provider (issue 20): the providers aiops trusts, what a
finished sign-in proved about a person, and how the provider's groups become roles.

The adapter (aiops.adapters.oidc) runs the authorization code flow and checks the ID token;
the use case (aiops.domain.usecases.oidc) only ever sees verified claims.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import attrs

from aiops.domain.errors import DomainError
from aiops.domain.model.tenants import Role

PROVIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
DEFAULT_SCOPES = ("openid", "email", "profile")


class OidcFailed(DomainError):
    """The provider's answer was refused (a bad or replayed state, a token whose signature,
    issuer, audience, nonce or lifetime is wrong, an unreachable provider). The message says
    which check failed and carries no token."""

    code = "oidc_failed"


class SignInRefused(DomainError):
    """The provider vouched for the person, but aiops does not let them in (no account and no
    auto-creation, not in an allowed group). The message tells them to ask an admin."""

    code = "sign_in_refused"


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def issuer_problem(issuer: str, *, allow_insecure_loopback: bool) -> str | None:
    """Why `issuer` may not be used, or None: https only, except http on loopback when the
    setting allows it (tests and local trials)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        if not is_loopback_host(parts.hostname):
            return f"{issuer}: an http:// issuer is refused (only https, or http on loopback)"
        if not allow_insecure_loopback:
            return (
                f"{issuer}: an http:// issuer needs AIOPS_OIDC_ALLOW_INSECURE_LOOPBACK=true "
                "(loopback only)"
            )
        return None
    return f"{issuer!r} is not an https:// URL"


@attrs.frozen(kw_only=True)
class OidcProvider:
    """One configured provider (an entry of AIOPS_OIDC_PROVIDERS)."""

    name: str  # in /login/oidc/<name>
    issuer: str  # discovery at <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret: str = attrs.field(repr=False)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    label: str = ""  # "Sign in with <label>"; the name when empty

    @property
    def shown_label(self) -> str:
        return self.label or self.name


def issuer_origins(providers: tuple[OidcProvider, ...]) -> tuple[str, ...]:
    """Where the providers' pages live (scheme://host[:port]), each once, in order: the pages'
    policy lets "Sign out" end there."""
    found = []
    for provider in providers:
        parts = urlsplit(provider.issuer)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in found:
            found.append(origin)
    return tuple(found)


@attrs.frozen(kw_only=True)
class OidcPending:
    """What the browser's session keeps between the redirect to the provider and its answer."""

    provider: str
    state: str
    nonce: str
    code_verifier: str = attrs.field(repr=False)
    next_path: str = "/"


@attrs.frozen(kw_only=True)
class OidcStart:
    """Where to send the browser, and what to keep until it comes back."""

    url: str
    pending: OidcPending


@attrs.frozen(kw_only=True)
class OidcClaims:
    """What a verified ID token (and the userinfo endpoint) said about the person."""

    provider: str
    subject: str  # `sub`: stable at the provider, unlike the email
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    groups: tuple[str, ...] = ()
    id_token: str = attrs.field(default="", repr=False)  # kept for RP-initiated logout


@attrs.frozen(kw_only=True)
class OidcCheck:
    """The admin's "Test": what discovery and the key set said."""

    provider: str
    ok: bool
    message: str
    authorization_endpoint: str = ""
    end_session_endpoint: str = ""
    keys: int = 0


ADMIN = "admin"


@attrs.frozen(kw_only=True)
class GroupGrant:
    """What one group gives: global admin, or a role in one tenant."""

    group: str
    admin: bool = False
    tenant: str | None = None  # a tenant's slug
    role: Role | None = None


def group_grants(mapping: dict[str, str]) -> tuple[GroupGrant, ...]:
    """AIOPS_OIDC_GROUP_ROLES read: `"admin"` or `"<tenant slug>:<role>"` per group.
    Raises ValueError naming the bad entry."""
    grants = []
    for group, value in mapping.items():
        if value == ADMIN:
            grants.append(GroupGrant(group=group, admin=True))
            continue
        tenant, colon, role = value.partition(":")
        if not colon or not tenant or role not in tuple(Role):
            shape = "'admin' nor '<tenant>:<owner|member|viewer>'"
            raise ValueError(f"group {group!r}: {value!r} is neither {shape}")
        grants.append(GroupGrant(group=group, tenant=tenant, role=Role(role)))
    return tuple(grants)
