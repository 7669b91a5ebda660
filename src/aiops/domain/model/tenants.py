"""Tenants and their members."""

from __future__ import annotations

import enum

import attrs

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation
from aiops.domain.model.users import GrantSource

DEFAULT_COLOR = "#3b82f6"


@attrs.frozen
class Tenant:
    slug: str = attrs.field(converter=validation.slug)
    name: str = attrs.field(converter=validation.display_name)
    color: str = attrs.field(default=DEFAULT_COLOR, converter=validation.color)
    id: int | None = None


class Role(enum.StrEnum):
    OWNER = "owner"
    MEMBER = "member"
    VIEWER = "viewer"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value)
        except ValueError:
            allowed = "|".join(role.value for role in cls)
            raise ValidationError("role", f"{value[:40]!r} is not a role: use {allowed}") from None


@attrs.frozen
class Membership:
    user_id: int
    tenant_id: int
    role: Role
    # By hand, or from the provider's groups (re-applied, and removed, at every sign-in).
    source: GrantSource = attrs.field(default=GrantSource.MANUAL, converter=GrantSource)
