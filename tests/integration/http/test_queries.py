"""No N+1: a page costs the same number of SQL statements however much it shows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import pytest
from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from aiops.config import Settings
from aiops.container import Container
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.integration.http.conftest import World, csrf, sign_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Without the web server's notification thread and loop runner: their own queries would
    be counted."""
    return attrs.evolve(settings, notify_in_process=False, pr_loop_poll_seconds=0)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(client: TestClient, engine: Engine, path: str) -> int:
    with counting(engine) as statements:
        assert client.get(path).status_code == 200
    return len(
        [
            s
            for s in statements
            # transaction control, and PRAGMA query_only (a read-only unit of work's flag)
            if not s.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT", "PRAGMA"))
        ]
    )


def test_the_dashboard_costs_the_same_queries_for_2_or_62_projects(
    app: Container, world: World, client: TestClient
) -> None:
    sign_in(client, World.ADMIN)
    small = statements_for(client, app.engine(), "/")

    for t in range(6):
        app.create_tenant()(CreateTenantCommand(slug=f"t{t}", name=f"T{t}"))
        for p in range(10):
            app.create_project()(CreateProjectCommand(tenant=f"t{t}", slug=f"p{p}", name=f"P{p}"))
    large = statements_for(client, app.engine(), "/")

    assert large == small
    assert small <= 7  # viewer, projects, tenants, incident counts: the same for any number


def test_the_cached_dashboard_changes_as_soon_as_the_data_does(
    app: Container, world: World, client: TestClient
) -> None:
    sign_in(client, World.OWNER)
    assert "Mobile" not in client.get("/").text
    hits = client.app.state.page_cache.hits  # type: ignore[attr-defined]
    client.get("/")
    assert client.app.state.page_cache.hits == hits + 1  # type: ignore[attr-defined]

    app.create_project()(CreateProjectCommand(tenant="acme", slug="mobile", name="Mobile"))

    assert "Mobile" in client.get("/").text


def test_one_users_cached_dashboard_is_never_shown_to_another(
    app: Container, world: World, client: TestClient
) -> None:
    sign_in(client, World.ADMIN)
    assert "API" in client.get("/").text
    client.post("/logout", data={"csrf_token": csrf(client, "/")})

    sign_in(client, World.OWNER)

    assert "API" not in client.get("/").text


def test_the_dashboard_goes_compressed_to_clients_that_accept_gzip(
    app: Container, world: World, client: TestClient
) -> None:
    sign_in(client, World.ADMIN)
    for p in range(40):
        app.create_project()(CreateProjectCommand(tenant="acme", slug=f"p{p}", name=f"P{p}"))

    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    compressed = client.get("/", headers={"Accept-Encoding": "gzip, deflate"})

    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert compressed.text == plain.text  # the client decoded it: the same page
    assert int(compressed.headers["Content-Length"]) * 5 < len(plain.content)
