"""Signing in: personal access tokens and the record of failed sign-ins."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import attrs

from aiops.domain.model import validation

TOKEN_PREFIX = "aiops_"  # noqa: S105 - a public prefix, not a secret


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(secret: str) -> str:
    """Tokens are random and long, so a plain SHA-256 is the right way to store them."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_name(value: str) -> str:
    return validation.display_name(value, field="name", max_length=100)


@attrs.frozen
class ApiToken:
    user_id: int
    name: str = attrs.field(converter=_token_name)
    token_hash: str = attrs.field(repr=False)
    # The first characters of the secret, enough to recognise a token in a list.
    hint: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
