"""aiops: a multi-tenant control plane for platform engineers.

Library use::

    from aiops import bootstrap
    app = bootstrap()                      # settings from the environment / .env
    tenant = app.create_tenant(CreateTenantCommand(slug="acme", name="Acme"))

Heavy modules (SQLAlchemy, the container) are imported on first use so that
`import aiops` and `aiops --help` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from aiops.container import bootstrap as bootstrap

__all__ = ["__version__", "bootstrap"]


def __getattr__(name: str) -> Any:
    if name == "bootstrap":
        from aiops.container import bootstrap

        return bootstrap
    raise AttributeError(f"module 'aiops' has no attribute {name!r}")
