"""In-memory UserIdentityRepository and SignInLinkRepository (issue 20), on a FakeUnitOfWork's
state, with the SQL ones' uniqueness rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.sign_ins import SignInLink, UserIdentity

if TYPE_CHECKING:
    from tests.fakes.unit_of_work import State


class FakeUserIdentities:
    def __init__(self, state: State) -> None:
        self._s = state

    def add(self, identity: UserIdentity) -> UserIdentity:
        taken = self.get_by_subject(identity.provider, identity.subject) is not None
        if taken or identity.user_id not in self._s.users:
            raise Conflict("identity conflicts with existing data")
        identity = attrs.evolve(identity, id=self._s.new_id())
        assert identity.id is not None
        self._s.user_identities[identity.id] = identity
        return identity

    def update(self, identity: UserIdentity) -> UserIdentity:
        if identity.id not in self._s.user_identities:
            raise NotFound(f"identity {identity.id} does not exist")
        self._s.user_identities[identity.id] = identity
        return identity

    def get_by_subject(self, provider: str, subject: str) -> UserIdentity | None:
        return next(
            (
                i
                for i in self._s.user_identities.values()
                if (i.provider, i.subject) == (provider, subject) and i.user_id in self._s.users
            ),
            None,
        )

    def list_for_user(self, user_id: int) -> Sequence[UserIdentity]:
        found = [i for i in self._s.user_identities.values() if i.user_id == user_id]
        return sorted(found, key=lambda i: i.id or 0)

    def last_sign_ins(self) -> dict[str, datetime]:
        latest: dict[str, datetime] = {}
        for identity in self._s.user_identities.values():
            at = identity.last_sign_in_at
            if at is not None and (
                identity.provider not in latest or at > latest[identity.provider]
            ):
                latest[identity.provider] = at
        return latest


class FakeSignInLinks:
    def __init__(self, state: State) -> None:
        self._s = state

    def add(self, link: SignInLink) -> SignInLink:
        if self.get_by_digest(link.digest) is not None or link.user_id not in self._s.users:
            raise Conflict("sign-in link conflicts with existing data")
        link = attrs.evolve(link, id=self._s.new_id())
        assert link.id is not None
        self._s.sign_in_links[link.id] = link
        return link

    def get_by_digest(self, digest: str) -> SignInLink | None:
        return next((k for k in self._s.sign_in_links.values() if k.digest == digest), None)

    def use(self, link_id: int, at: datetime) -> bool:
        link = self._s.sign_in_links.get(link_id)
        if link is None or link.used_at is not None:
            return False
        self._s.sign_in_links[link_id] = attrs.evolve(link, used_at=at)
        return True
