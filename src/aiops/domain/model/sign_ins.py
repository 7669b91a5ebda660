"""Ways into aiops besides a password (issue 20): the provider accounts a user signs in with,
and the one-time sign-in links an operator makes when password sign-in is off (break-glass)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import attrs

LINK_LIFETIME = timedelta(minutes=10)


@attrs.frozen(kw_only=True)
class UserIdentity:
    """A user's account at one OpenID Connect provider: matched by the provider's `sub` (which
    stays when the email changes), with the email the provider gave last."""

    user_id: int
    provider: str
    subject: str
    email: str | None
    created_at: datetime
    last_sign_in_at: datetime | None = None
    id: int | None = None


def new_link_secret() -> str:
    return secrets.token_urlsafe(32)


def link_digest(secret: str) -> str:
    """What is stored of a link's secret: random and long, so a plain SHA-256 suffices."""
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@attrs.frozen(kw_only=True)
class SignInLink:
    """A one-time sign-in for one user: usable once, until `expires_at`. Only the digest of its
    secret is kept."""

    user_id: int
    digest: str = attrs.field(repr=False)
    created_at: datetime
    expires_at: datetime
    created_by: str
    used_at: datetime | None = None
    id: int | None = None

    def usable_at(self, moment: datetime) -> bool:
        return self.used_at is None and moment < self.expires_at
