"""People who sign in to aiops."""

from __future__ import annotations

import attrs

from aiops.domain.model import validation


def _optional_username(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return validation.username(value, field="linux_username")


@attrs.frozen
class User:
    email: str = attrs.field(converter=validation.email)
    name: str = attrs.field(converter=validation.display_name)
    username: str = attrs.field(converter=validation.username)
    is_admin: bool = False
    linux_username: str | None = attrs.field(default=None, converter=_optional_username)
    # The argon2id hash, never the password; kept out of repr so it never reaches a log line.
    password_hash: str | None = attrs.field(default=None, repr=False)
    id: int | None = None
    # Carried in every session cookie; a cookie with another number is signed out. Sign-out,
    # a password change and an admin's "sign out everywhere" move it on (never `update`).
    session_generation: int = 0
