"""ReplaceTrackerSecrets and ListManagedTrackers against the in-memory unit of work: secrets are
resealed and dated, audited without their values, and hidden from those who may not manage them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.tenants import Role
from aiops.domain.model.trackers import SyncRun
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand, ReplaceTrackerSecretsCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import FakeClock, FakeSecretBox, FakeUnitOfWork

OLD = "old-token-CANARY"
NEW = "new-token-CANARY"
SECRET = "whsec-CANARY"


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.box = FakeSecretBox()
        self.app: Container = bootstrap(uow=self.uow, clock=self.clock, secret_box=self.box)
        self.ids = {}
        for slug in ("acme", "globex"):
            tenant = self.app.create_tenant()(CreateTenantCommand(slug=slug, name=slug.title()))
            project = self.app.create_project()(
                CreateProjectCommand(tenant=slug, slug="web", name="Web")
            )
            connection = self.app.add_tracker()(
                AddTrackerCommand(
                    project_id=project.id or 0,
                    provider="github",
                    base_url="https://api.github.com",
                    key=f"{slug}/web",
                    token=OLD,
                )
            )
            self.ids[slug] = (tenant.id or 0, connection.id or 0)

    def actor(self, role: Role, tenant: str = "acme") -> Actor:
        return Actor(f"{role.value}@example.com", user_id=7, roles={self.ids[tenant][0]: role})

    def replace(self, actor: Actor | None = None, **fields: object) -> None:
        cmd = ReplaceTrackerSecretsCommand(
            connection_id=self.ids["acme"][1],
            **fields,  # type: ignore[arg-type]
            **({"actor": actor} if actor else {}),
        )
        self.app.replace_tracker_secrets()(cmd)


@pytest.fixture
def world() -> World:
    return World()


def test_a_new_token_is_sealed_dated_and_audited_without_its_value(world: World) -> None:
    world.clock.advance(hours=2)

    world.replace(world.actor(Role.OWNER), token=NEW, webhook_secret=SECRET)

    connection = world.uow.committed.trackers[world.ids["acme"][1]]
    assert world.box.open(connection.token_sealed) == NEW
    assert connection.webhook_secret_sealed is not None
    assert world.box.open(connection.webhook_secret_sealed) == SECRET
    assert connection.token_saved_at == datetime(2026, 1, 1, 14, 0, tzinfo=UTC)
    [event] = world.app.list_audit_events()(AuditQuery(action="tracker.secrets_replaced"))
    assert dict(event.detail) == {"token": "set", "webhook_secret": "set"}
    assert "CANARY" not in repr(event)
    assert "CANARY" not in repr(connection)


def test_clearing_the_webhook_secret_keeps_the_token(world: World) -> None:
    world.replace(webhook_secret=SECRET)
    world.clock.advance(hours=1)

    world.replace(clear_webhook_secret=True)

    connection = world.uow.committed.trackers[world.ids["acme"][1]]
    assert connection.webhook_secret_sealed is None
    assert world.box.open(connection.token_sealed) == OLD
    assert connection.token_saved_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "nothing was changed"),
        ({"token": ""}, "must be 1-4096 characters"),
        ({"webhook_secret": "a b"}, "visible ASCII"),
        ({"webhook_secret": SECRET, "clear_webhook_secret": True}, "either give"),
    ],
)
def test_bad_replacements_change_nothing(
    world: World, fields: dict[str, object], message: str
) -> None:
    before = dict(world.uow.committed.trackers)

    with pytest.raises(ValidationError, match=message) as raised:
        world.replace(**fields)

    assert world.uow.committed.trackers == before
    assert "CANARY" not in str(raised.value)


def test_only_those_who_manage_the_tenant_replace_its_secrets(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.replace(world.actor(Role.MEMBER), token=NEW)
    with pytest.raises(NotFound, match=r"tracker connection \d+ does not exist"):
        world.replace(world.actor(Role.OWNER, tenant="globex"), token=NEW)

    connection = world.uow.committed.trackers[world.ids["acme"][1]]
    assert world.box.open(connection.token_sealed) == OLD


def test_managed_trackers_are_those_of_the_tenants_one_owns_with_their_last_run(
    world: World,
) -> None:
    acme_connection = world.ids["acme"][1]
    with world.uow as uow:
        for minute, error in ((1, None), (2, "GitHub said no")):
            moment = datetime(2026, 1, 1, 12, minute, tzinfo=UTC)
            run = SyncRun(
                connection_id=acme_connection, started_at=moment, finished_at=moment, error=error
            )
            uow.sync_runs.add(run)
        uow.commit()
    listed = world.app.list_managed_trackers()

    owned = listed(world.actor(Role.OWNER))
    used = listed(world.actor(Role.MEMBER))
    everything = listed(Actor.system())

    assert [(m.tenant.slug, m.project.slug, m.connection.key) for m in owned] == [
        ("acme", "web", "acme/web")
    ]
    assert owned[0].last_run is not None
    assert owned[0].last_run.error == "GitHub said no"
    assert used == []
    assert [m.connection.key for m in everything] == ["acme/web", "globex/web"]
    assert everything[1].last_run is None
