"""The sign-in repositories of issue 20 (provider identities, one-time links) and the sources
of memberships and admin rights: one contract on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from aiops.domain.errors import Conflict
from aiops.domain.model.sign_ins import SignInLink, UserIdentity
from aiops.domain.model.tenants import Membership, Role
from aiops.domain.model.users import GrantSource, User
from aiops.ports.unit_of_work import UnitOfWork
from tests.integration.test_repositories import new_uow, seed_tenant

__all__ = ["new_uow"]
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def seed_user(new_uow: Callable[[], UnitOfWork], email: str = "ivo@example.com") -> User:
    with new_uow() as uow:
        user = uow.users.add(User(email=email, name="Ivo", username=email.partition("@")[0]))
        uow.commit()
    return user


def test_identities_are_found_by_provider_and_subject_and_unique(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    ivo, ana = seed_user(new_uow), seed_user(new_uow, "ana@example.com")
    assert ivo.id is not None and ana.id is not None  # noqa: PT018
    with new_uow() as uow:
        corp = uow.user_identities.add(
            UserIdentity(user_id=ivo.id, provider="corp", subject="s-1", email=None, created_at=T0)
        )
        lab = uow.user_identities.add(
            UserIdentity(
                user_id=ivo.id, provider="lab", subject="s-1", email="i@lab.org", created_at=T0
            )
        )
        uow.commit()

    with new_uow() as uow:
        assert uow.user_identities.get_by_subject("corp", "s-1") == corp
        assert uow.user_identities.get_by_subject("corp", "s-2") is None
        assert uow.user_identities.list_for_user(ivo.id) == [corp, lab]
        assert uow.user_identities.last_sign_ins() == {}
        seen = uow.user_identities.update(
            attrs.evolve(corp, email="ivo@corp.example", last_sign_in_at=T0)
        )
        uow.user_identities.update(attrs.evolve(lab, last_sign_in_at=T0 - timedelta(days=1)))
        uow.commit()
    with new_uow() as uow:
        assert uow.user_identities.get_by_subject("corp", "s-1") == seen
        assert uow.user_identities.last_sign_ins() == {
            "corp": T0,
            "lab": T0 - timedelta(days=1),
        }
        with pytest.raises(Conflict):
            uow.user_identities.add(
                UserIdentity(
                    user_id=ana.id, provider="corp", subject="s-1", email=None, created_at=T0
                )
            )


def test_the_latest_sign_in_wins_per_provider_in_utc(new_uow: Callable[[], UnitOfWork]) -> None:
    ivo, ana = seed_user(new_uow), seed_user(new_uow, "ana@example.com")
    assert ivo.id is not None and ana.id is not None  # noqa: PT018
    later = T0 + timedelta(hours=3)
    with new_uow() as uow:
        for user_id, subject, at in ((ivo.id, "a", T0), (ana.id, "b", later)):
            uow.user_identities.add(
                UserIdentity(
                    user_id=user_id,
                    provider="corp",
                    subject=subject,
                    email=None,
                    created_at=T0,
                    last_sign_in_at=at,
                )
            )
        uow.commit()

    with new_uow() as uow:
        [(provider, at)] = uow.user_identities.last_sign_ins().items()
    assert (provider, at, at.tzinfo) == ("corp", later, UTC)


def test_a_link_is_found_by_digest_and_used_once(new_uow: Callable[[], UnitOfWork]) -> None:
    ivo = seed_user(new_uow)
    assert ivo.id is not None
    link = SignInLink(
        user_id=ivo.id,
        digest="d" * 64,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=10),
        created_by="cli:root",
    )
    with new_uow() as uow:
        stored = uow.sign_in_links.add(link)
        uow.commit()
    assert stored.id is not None

    with new_uow() as uow:
        assert uow.sign_in_links.get_by_digest("d" * 64) == stored
        assert uow.sign_in_links.get_by_digest("e" * 64) is None
        assert uow.sign_in_links.use(stored.id, T0 + timedelta(minutes=1))
        assert not uow.sign_in_links.use(stored.id, T0 + timedelta(minutes=2))
        uow.commit()
    with new_uow() as uow:
        used = uow.sign_in_links.get_by_digest("d" * 64)
        assert used is not None
        assert used.used_at == T0 + timedelta(minutes=1)
        assert not uow.sign_in_links.use(stored.id, T0 + timedelta(minutes=3))
        with pytest.raises(Conflict):
            uow.sign_in_links.add(link)


def test_membership_and_admin_sources_round_trip_and_memberships_are_removed(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        ivo = uow.users.add(
            User(
                email="ivo@example.com",
                name="Ivo",
                username="ivo",
                is_admin=True,
                admin_source=GrantSource.OIDC,
            )
        )
        assert ivo.id is not None
        given = uow.memberships.add(Membership(ivo.id, tenant.id, Role.MEMBER, GrantSource.OIDC))
        uow.commit()

    with new_uow() as uow:
        assert uow.users.get(ivo.id) == ivo
        assert uow.memberships.get(ivo.id, tenant.id) == given
        manual = uow.memberships.update(attrs.evolve(given, source=GrantSource.MANUAL))
        uow.users.update(attrs.evolve(ivo, is_admin=False, admin_source=None))
        uow.commit()
    with new_uow() as uow:
        assert uow.memberships.list_for_user(ivo.id) == [manual]
        assert uow.users.get(ivo.id) == attrs.evolve(ivo, is_admin=False, admin_source=None)
        uow.memberships.remove(ivo.id, tenant.id)
        uow.memberships.remove(ivo.id, tenant.id)  # gone already: nothing to do
        uow.commit()
    with new_uow() as uow:
        assert uow.memberships.list_for_user(ivo.id) == []
