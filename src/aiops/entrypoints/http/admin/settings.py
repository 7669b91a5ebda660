"""Admin -> Settings: a page of cards (later issues add git, trackers, AI CLIs, tmux, jobs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops import __version__
from aiops.adapters.sqlalchemy import migrations
from aiops.adapters.sqlalchemy.engine import masked
from aiops.entrypoints.http.admin import cli_tools
from aiops.entrypoints.http.admin._common import require_admin
from aiops.entrypoints.http.admin.credentials import credential_cards
from aiops.entrypoints.http.admin.sign_in_providers import sign_in_card
from aiops.entrypoints.http.admin.tmux import tmux_card
from aiops.entrypoints.http.web import call, container, render


async def settings_page(request: Request) -> Response:
    actor = await require_admin(request)
    app = container(request)
    settings = app.settings()
    engine = app.engine()
    current = await call(migrations.current_revision, engine)
    head = await call(migrations.head_revision)
    cards = [
        (
            "Database",
            [
                ("Backend", engine.dialect.name),
                ("URL", masked(engine.url)),
                ("Schema", f"{current or 'none'} (code needs {head})"),
                ("Status", "up to date" if current == head else "behind: run aiops db upgrade"),
            ],
        ),
        (
            "Sign-in",
            [
                ("Session lifetime", f"{settings.session_hours} h after the last request"),
                (
                    "Password hashing",
                    f"argon2id, {settings.argon2_memory_kib // 1024} MiB, "
                    f"t={settings.argon2_time_cost}, p={settings.argon2_parallelism}",
                ),
                ("Request body limit", f"{settings.max_body_bytes:,} bytes"),
            ],
        ),
        ("About", [("Version", __version__), ("Instance folder", str(settings.instance_path))]),
    ]
    return render(
        request,
        "admin/settings.html",
        cards=cards,
        **await cli_tools.statuses(request),
        **await credential_cards(request, actor),
        **await tmux_card(request, actor),
        **await sign_in_card(request, actor),
    )


routes = [Route("/admin/settings", settings_page, methods=["GET"])]
