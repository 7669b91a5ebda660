"""One contract for the unit of work and its repositories, run against the in-memory fake and
the SQLAlchemy adapter on SQLite and PostgreSQL: the fake may stand in only if it agrees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from aiops.adapters.sqlalchemy import migrations
from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.projects import CloneFilter, Project
from aiops.domain.model.tenants import Membership, Role, Tenant
from aiops.domain.model.users import User
from aiops.ports.unit_of_work import AuditQuery, UnitOfWork
from tests.fakes import FakeUnitOfWork
from tests.integration.conftest import empty_database
from tests.strategies import public_key

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(
    params=[
        "fake",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], UnitOfWork]]:
    if request.param == "fake":
        fake = FakeUnitOfWork()
        yield lambda: fake
        return
    engine = make_engine(empty_database(request.param, request, tmp_path))
    migrations.upgrade(engine)
    yield lambda: SqlAlchemyUnitOfWork(engine)
    engine.dispose()


def seed_tenant(new_uow: Callable[[], UnitOfWork], slug: str = "acme") -> Tenant:
    with new_uow() as uow:
        tenant = uow.tenants.add(Tenant(slug=slug, name=slug.title(), color="#123456"))
        uow.commit()
    return tenant


def test_tenants_round_trip(new_uow: Callable[[], UnitOfWork]) -> None:
    tenant = seed_tenant(new_uow)

    with new_uow() as uow:
        assert uow.tenants.get(tenant.id) == tenant  # type: ignore[arg-type]
        assert uow.tenants.get_by_slug("acme") == tenant
        assert uow.tenants.get_by_slug("ghost") is None
        renamed = uow.tenants.update(attrs.evolve(tenant, name="Acme Inc"))
        uow.commit()

    with new_uow() as uow:
        assert uow.tenants.list() == [renamed]


def test_duplicate_tenant_slug_is_a_conflict(new_uow: Callable[[], UnitOfWork]) -> None:
    seed_tenant(new_uow)

    with new_uow() as uow, pytest.raises(Conflict):
        uow.tenants.add(Tenant(slug="acme", name="Again"))


@pytest.mark.parametrize("entity_id", [0, -1, 2**31, 2**63])
def test_ids_no_row_can_have_are_simply_not_found(
    new_uow: Callable[[], UnitOfWork], entity_id: int
) -> None:
    with new_uow() as uow:
        assert uow.projects.get(entity_id) is None
        assert uow.tenants.get(entity_id) is None
        with pytest.raises(NotFound):
            uow.tenants.update(Tenant(id=entity_id, slug="x", name="X"))


def test_update_of_a_missing_row_is_not_found(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow, pytest.raises(NotFound):
        uow.tenants.update(Tenant(id=999, slug="ghost", name="Ghost"))


def test_users_are_unique_by_email_and_username(new_uow: Callable[[], UnitOfWork]) -> None:
    ivo = User(email="ivo@example.com", name="Ivo", username="ivo", linux_username="ivo")
    with new_uow() as uow:
        stored = uow.users.add(attrs.evolve(ivo, password_hash="$argon2id$stub"))
        uow.commit()

    with new_uow() as uow:
        assert uow.users.get_by_email("ivo@example.com") == stored
        assert uow.users.get_by_username("ivo") == stored
        assert uow.users.get(stored.id) == stored  # type: ignore[arg-type]
        with pytest.raises(Conflict):
            uow.users.add(attrs.evolve(ivo, username="other"))
    with new_uow() as uow, pytest.raises(Conflict):
        uow.users.add(attrs.evolve(ivo, email="other@example.com"))


def test_only_revoke_sessions_moves_a_users_session_generation(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        uow.commit()
    assert ivo.id is not None

    with new_uow() as uow:
        first = uow.users.revoke_sessions(ivo.id)
        second = uow.users.revoke_sessions(ivo.id)
        uow.commit()
    with new_uow() as uow:
        # A writer holding the user as it was before (a sign-in rehashing the password).
        stale = uow.users.update(attrs.evolve(ivo, name="Ivo P", session_generation=0))
        uow.commit()
    with new_uow() as uow:
        stored = uow.users.get(ivo.id)
        with pytest.raises(NotFound):
            uow.users.revoke_sessions(4242)

    assert (ivo.session_generation, first, second) == (0, 1, 2)
    assert stale == stored
    assert stored is not None
    assert (stored.name, stored.session_generation) == ("Ivo P", 2)


def test_projects_are_unique_per_tenant_and_need_a_tenant(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    acme, globex = seed_tenant(new_uow), seed_tenant(new_uow, "globex")
    assert acme.id is not None
    assert globex.id is not None
    with new_uow() as uow:
        web = uow.projects.add(Project(tenant_id=acme.id, slug="web", name="Web"))
        other = uow.projects.add(
            Project(
                tenant_id=globex.id,
                slug="web",
                name="Web",
                clone_filter=CloneFilter.BLOB_NONE,
                clone_depth=100,
            )
        )
        uow.commit()

    with new_uow() as uow:
        assert uow.projects.get_by_slug(acme.id, "web") == web
        assert uow.projects.get(other.id or 0) == other  # its clone settings round trip
        assert [p.tenant_id for p in uow.projects.list()] == [acme.id, globex.id]
        assert uow.projects.list(acme.id) == [web]
        assert uow.projects.tenant_ids() == {web.id: acme.id, other.id: globex.id}
        with pytest.raises(Conflict):
            uow.projects.add(Project(tenant_id=acme.id, slug="web", name="Again"))
    with new_uow() as uow, pytest.raises(Conflict):
        uow.projects.add(Project(tenant_id=424242, slug="orphan", name="Orphan"))


def test_identities_round_trip_and_are_unique_by_name(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        owner = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        deploy = uow.identities.add(
            SshIdentity(
                name="deploy",
                public_key=public_key(comment="ops@host"),
                created_at=T0,
                private_key_path="/srv/aiops/instance/keys/deploy",
                owner_id=owner.id,
            )
        )
        bare = uow.identities.add(
            SshIdentity(name="bare", public_key=public_key("ssh-rsa"), created_at=T0)
        )
        uow.commit()

    with new_uow() as uow:
        assert uow.identities.get(deploy.id) == deploy  # type: ignore[arg-type]
        assert uow.identities.get_by_name("deploy") == deploy
        assert uow.identities.get_by_name("ghost") is None
        assert uow.identities.list() == [deploy, bare]
        assert deploy.created_at.tzinfo is not None
        moved = uow.identities.update(attrs.evolve(bare, private_key_path="/k/bare"))
        uow.commit()
        with pytest.raises(Conflict):
            uow.identities.add(attrs.evolve(bare, id=None, public_key=public_key(key=b"x")))
    with new_uow() as uow:
        assert uow.identities.get_by_name("bare") == moved
        assert moved.fingerprint == bare.fingerprint


def test_a_project_names_an_identity_that_exists(new_uow: Callable[[], UnitOfWork]) -> None:
    acme = seed_tenant(new_uow)
    assert acme.id is not None
    with new_uow() as uow:
        deploy = uow.identities.add(
            SshIdentity(name="deploy", public_key=public_key(), created_at=T0)
        )
        web = uow.projects.add(
            Project(tenant_id=acme.id, slug="web", name="Web", identity_id=deploy.id)
        )
        uow.commit()

    with new_uow() as uow:
        assert uow.projects.get(web.id) == web  # type: ignore[arg-type]
        assert uow.projects.update(attrs.evolve(web, identity_id=None)).identity_id is None
        with pytest.raises(Conflict):
            uow.projects.add(Project(tenant_id=acme.id, slug="api", name="API", identity_id=999))
    with new_uow() as uow, pytest.raises(Conflict):
        uow.projects.update(attrs.evolve(web, identity_id=999))


def test_memberships_round_trip(new_uow: Callable[[], UnitOfWork]) -> None:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        user = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        assert user.id is not None
        uow.memberships.add(Membership(user_id=user.id, tenant_id=tenant.id, role=Role.VIEWER))
        uow.commit()

    with new_uow() as uow:
        owner = uow.memberships.update(Membership(user.id, tenant.id, Role.OWNER))
        uow.commit()

    with new_uow() as uow:
        assert uow.memberships.get(user.id, tenant.id) == owner
        assert uow.memberships.list_for_tenant(tenant.id) == [owner]
        assert uow.memberships.list_for_user(user.id) == [owner]
        with pytest.raises(Conflict):
            uow.memberships.add(Membership(user.id, tenant.id, Role.MEMBER))
    with new_uow() as uow, pytest.raises(Conflict):
        uow.memberships.add(Membership(user_id=999, tenant_id=tenant.id, role=Role.MEMBER))


def test_leaving_without_commit_discards_everything(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        uow.tenants.add(Tenant(slug="temp", name="Temp"))

    def fail_half_way() -> None:
        with new_uow() as uow:
            uow.tenants.add(Tenant(slug="boom", name="Boom"))
            raise RuntimeError("use case failed half-way")

    with pytest.raises(RuntimeError):
        fail_half_way()

    with new_uow() as uow:
        assert uow.tenants.list() == []


def test_explicit_rollback_discards_and_commit_keeps(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        uow.tenants.add(Tenant(slug="dropped", name="Dropped"))
        uow.rollback()
        uow.tenants.add(Tenant(slug="kept", name="Kept"))
        uow.commit()

    with new_uow() as uow:
        assert [t.slug for t in uow.tenants.list()] == ["kept"]


def test_audit_log_keeps_utc_times_and_filters(new_uow: Callable[[], UnitOfWork]) -> None:
    with new_uow() as uow:
        for minute, (actor, tenant, action) in enumerate(
            [
                ("ivo", "acme", "tenant.created"),
                ("ana", "acme", "project.created"),
                ("ivo", None, "user.created"),
            ]
        ):
            uow.audit.add(
                AuditEvent(
                    actor=actor,
                    action=action,
                    target="t",
                    tenant=tenant,
                    at=T0 + timedelta(minutes=minute),
                    detail={"n": minute, "ok": True},
                )
            )
        uow.commit()

    with new_uow() as uow:
        everything = uow.audit.list(AuditQuery())
        assert [e.action for e in everything] == [
            "user.created",
            "project.created",
            "tenant.created",
        ]
        assert everything[-1].at == T0
        assert everything[-1].at.tzinfo is not None
        assert everything[-1].detail == {"n": 0, "ok": True}
        assert [e.action for e in uow.audit.list(AuditQuery(actor="ivo"))] == [
            "user.created",
            "tenant.created",
        ]
        assert [
            e.actor for e in uow.audit.list(AuditQuery(tenant="acme", action="project.created"))
        ] == ["ana"]
        window = AuditQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=1))
        assert [e.actor for e in uow.audit.list(window)] == ["ana"]
        assert len(uow.audit.list(AuditQuery(limit=2))) == 2
