from __future__ import annotations

import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.fakes import FakeClock, FakeUnitOfWork


def test_library_use_with_ports_overridden_by_fakes(uow: FakeUnitOfWork, clock: FakeClock) -> None:
    app = bootstrap(uow=uow, clock=clock)

    tenant = app.create_tenant()(CreateTenantCommand(slug="lib", name="Library"))

    assert uow.committed.tenants[tenant.id] == tenant  # type: ignore[index]
    assert uow.committed.audit[0].at == clock.now()


def test_one_use_case_instance_serves_many_units_of_work(app: Container) -> None:
    create = app.create_tenant()
    for slug in ("a", "b"):
        create(CreateTenantCommand(slug=slug, name=slug))

    assert [t.slug for t in app.list_tenants()()] == ["a", "b"]


def test_unknown_port_override_is_refused() -> None:
    with pytest.raises(TypeError, match="no port named 'gitt'"):
        bootstrap(gitt=object())
