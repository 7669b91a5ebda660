"""Users' accounts at OpenID Connect providers and one-time sign-in links (issue 20)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Connection, Row, func, insert, select, update

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.repositories import (
    MAX_ID,
    _conflict_on_integrity_error,
    _new_id,
    _values,
)
from aiops.domain.errors import NotFound
from aiops.domain.model.sign_ins import SignInLink, UserIdentity


def identity_from_row(row: Row[Any]) -> UserIdentity:
    return UserIdentity(
        id=row.id,
        user_id=row.user_id,
        provider=row.provider,
        subject=row.subject,
        email=row.email,
        created_at=row.created_at,
        last_sign_in_at=row.last_sign_in_at,
    )


def link_from_row(row: Row[Any]) -> SignInLink:
    return SignInLink(
        id=row.id,
        user_id=row.user_id,
        digest=row.digest,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        created_by=row.created_by,
    )


class SqlUserIdentityRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, identity: UserIdentity) -> UserIdentity:
        with _conflict_on_integrity_error("identity"):
            result = self._c.execute(insert(t.user_identities).values(_values(identity)))
        return attrs.evolve(identity, id=_new_id(result))

    def update(self, identity: UserIdentity) -> UserIdentity:
        if identity.id is None or not 0 < identity.id <= MAX_ID:
            raise NotFound(f"identity {identity.id} does not exist")
        c = t.user_identities.c
        with _conflict_on_integrity_error("identity"):
            result = self._c.execute(
                update(t.user_identities).where(c.id == identity.id).values(_values(identity))
            )
        if result.rowcount != 1:
            raise NotFound(f"identity {identity.id} does not exist")
        return identity

    def get_by_subject(self, provider: str, subject: str) -> UserIdentity | None:
        c = t.user_identities.c
        row = self._c.execute(
            select(t.user_identities).where(c.provider == provider, c.subject == subject)
        ).first()
        return None if row is None else identity_from_row(row)

    def list_for_user(self, user_id: int) -> Sequence[UserIdentity]:
        c = t.user_identities.c
        rows = self._c.execute(select(t.user_identities).where(c.user_id == user_id).order_by(c.id))
        return [identity_from_row(row) for row in rows]

    def last_sign_ins(self) -> dict[str, datetime]:
        c = t.user_identities.c
        latest = func.max(c.last_sign_in_at)
        rows = self._c.execute(
            select(c.provider, latest.label("at"))
            .where(c.last_sign_in_at.is_not(None))
            .group_by(c.provider)
        )
        return {row.provider: row.at for row in rows}  # max() keeps the column's type


class SqlSignInLinkRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, link: SignInLink) -> SignInLink:
        with _conflict_on_integrity_error("sign-in link"):
            result = self._c.execute(insert(t.sign_in_links).values(_values(link)))
        return attrs.evolve(link, id=_new_id(result))

    def get_by_digest(self, digest: str) -> SignInLink | None:
        c = t.sign_in_links.c
        row = self._c.execute(select(t.sign_in_links).where(c.digest == digest)).first()
        return None if row is None else link_from_row(row)

    def use(self, link_id: int, at: datetime) -> bool:
        c = t.sign_in_links.c
        result = self._c.execute(
            update(t.sign_in_links).where(c.id == link_id, c.used_at.is_(None)).values(used_at=at)
        )
        return result.rowcount == 1
