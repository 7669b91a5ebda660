"""Admin pages: tenants, projects, users, memberships, settings, audit."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
