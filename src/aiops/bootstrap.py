"""Library entry point: a wired container, with any port replaceable.

    from aiops import bootstrap
    from aiops.domain.usecases.tenants import CreateTenantCommand

    aiops = bootstrap()
    aiops.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    aiops.shutdown_resources()   # disposes the database engine

`bootstrap(settings=..., clock=FakeClock(), uow=providers.Factory(FakeUnitOfWork, ...))`
overrides ports: a provider is used as given, any other object as a constant.
"""

from __future__ import annotations

from typing import Any

from dependency_injector import providers

from aiops.adapters.sqlalchemy.migrations import ensure_current
from aiops.config import Settings
from aiops.container import Container


def bootstrap(
    settings: Settings | None = None, *, check_schema: bool = False, **ports: Any
) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    for name, replacement in ports.items():
        provider = getattr(container, name, None)
        if not isinstance(provider, providers.Provider):
            raise TypeError(f"the container has no port named {name!r}")
        provider.override(
            replacement
            if isinstance(replacement, providers.Provider)
            else providers.Object(replacement)
        )
    if check_schema:
        ensure_current(container.engine())
    return container
