"""People who sign in to aiops."""

from __future__ import annotations

import enum

import attrs

from aiops.domain.model import validation


def _optional_username(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    return validation.username(value, field="linux_username")


class GrantSource(enum.StrEnum):
    """Who gave a role in a tenant or the global admin right: a person (by hand: the CLI, a
    page, the API) or the OpenID Connect provider's groups at sign-in (issue 20). Sign-in
    re-applies the provider's grants and takes back only what it gave; a grant made by hand is
    never touched by it."""

    MANUAL = "manual"
    OIDC = "oidc"


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
    # Who made the user an admin (None when not one, or an admin from before issue 20, which
    # counts as by hand): an admin from the provider's groups loses it when the group goes.
    admin_source: GrantSource | None = attrs.field(
        default=None, converter=attrs.converters.optional(GrantSource)
    )
