"""Admin pages: tenants, projects, users, memberships, identities, trackers, settings, jobs,
audit."""

from __future__ import annotations

from starlette.routing import BaseRoute

from aiops.entrypoints.http.admin import (
    audit,
    cli_tools,
    credentials,
    identities,
    jobs,
    memberships,
    projects,
    settings,
    sign_in_providers,
    tenants,
    tmux,
    trackers,
    users,
)

routes: list[BaseRoute] = [
    *tenants.routes,
    *projects.routes,
    *users.routes,
    *memberships.routes,
    *identities.routes,
    *trackers.routes,
    *settings.routes,
    *sign_in_providers.routes,
    *cli_tools.routes,
    *credentials.routes,
    *tmux.routes,
    *jobs.routes,
    *audit.routes,
]
