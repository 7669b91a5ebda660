from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.tenants import DEFAULT_COLOR
from aiops.domain.usecases.tenants import CreateTenantCommand, UpdateTenantCommand
from tests.fakes import FakeClock, FakeUnitOfWork


def test_create_tenant_stores_it_with_normalised_colour_and_audits(
    app: Container, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    tenant = app.create_tenant()(
        CreateTenantCommand(
            slug="acme",
            name="  Acme   Corp ",
            color="#AABBCC",
            actor=Actor(name="ivo@x.io", is_admin=True),
        )
    )

    assert tenant.id is not None
    assert uow.committed.tenants[tenant.id] == tenant
    assert (tenant.name, tenant.color) == ("Acme Corp", "#aabbcc")
    [event] = uow.committed.audit
    assert (event.actor, event.action, event.tenant, event.at) == (
        "ivo@x.io",
        "tenant.created",
        "acme",
        clock.now(),
    )


def test_create_tenant_defaults_the_colour(app: Container) -> None:
    assert app.create_tenant()(CreateTenantCommand(slug="a", name="A")).color == DEFAULT_COLOR


@pytest.mark.parametrize(
    ("slug", "name", "color", "field"),
    [
        ("Acme", "Acme", "#000000", "slug"),
        ("acme", "   ", "#000000", "name"),
        ("acme", "Acme", "red", "color"),
        ("acme", "Acme", "#12345", "color"),
    ],
)
def test_create_tenant_with_invalid_input_stores_nothing(
    app: Container, uow: FakeUnitOfWork, slug: str, name: str, color: str, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        app.create_tenant()(CreateTenantCommand(slug=slug, name=name, color=color))

    assert raised.value.field == field
    assert uow.committed.tenants == {}
    assert uow.committed.audit == []


def test_duplicate_tenant_slug_is_a_conflict_and_changes_nothing(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    before = uow.committed.copy()

    with pytest.raises(Conflict, match="already exists"):
        app.create_tenant()(CreateTenantCommand(slug="acme", name="Other"))

    assert uow.committed == before


def test_update_tenant_changes_only_given_fields_and_audits(
    app: Container, uow: FakeUnitOfWork
) -> None:
    created = app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme", color="#000000"))

    updated = app.update_tenant()(UpdateTenantCommand(slug="acme", color="#FFFFFF"))

    assert updated == created.__class__(id=created.id, slug="acme", name="Acme", color="#ffffff")
    assert [e.action for e in uow.committed.audit] == ["tenant.created", "tenant.updated"]


def test_update_tenant_without_a_change_records_nothing(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    commits = uow.commits

    app.update_tenant()(UpdateTenantCommand(slug="acme", name="Acme"))

    assert uow.commits == commits
    assert len(uow.committed.audit) == 1


def test_update_unknown_tenant_is_not_found(app: Container) -> None:
    with pytest.raises(NotFound, match="'ghost' does not exist"):
        app.update_tenant()(UpdateTenantCommand(slug="ghost", name="Ghost"))


def test_update_tenant_with_bad_colour_keeps_the_old_one(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme", color="#000000"))

    with pytest.raises(ValidationError):
        app.update_tenant()(UpdateTenantCommand(slug="acme", color="#GGGGGG"))

    [tenant] = app.list_tenants()()
    assert tenant.color == "#000000"


def test_list_tenants_in_creation_order(app: Container) -> None:
    for slug in ("b", "a", "c"):
        app.create_tenant()(CreateTenantCommand(slug=slug, name=slug.upper()))

    assert [t.slug for t in app.list_tenants()()] == ["b", "a", "c"]


@pytest.mark.parametrize("slug", ["\x00", "Acme", "a" * 300, ""])
def test_a_text_that_is_no_slug_names_no_tenant(app: Container, slug: str) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        app.get_tenant()(slug)
