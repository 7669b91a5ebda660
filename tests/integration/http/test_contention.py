"""The database under concurrency, in process: SQLite configured for a server, read paths that
never write, contention answered 503 + Retry-After with nothing stored, and the HTTP details
(405 Allow, every error status in the OpenAPI document)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.config import load_settings
from aiops.container import Container, bootstrap
from aiops.domain.model.tenants import Tenant
from aiops.entrypoints.http.api.openapi import DOCUMENT
from aiops.entrypoints.http.app import all_routes, create_app
from tests.integration.http.conftest import World, bearer, populate_world, sign_in

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")


@contextmanager
def writes_seen(engine: Engine) -> Iterator[list[str]]:
    """The statements that write (or take SQLite's write lock) while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement.split("\n", maxsplit=1)[0][:80])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_sqlite_is_configured_for_a_server(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'aiops.db'}", busy_timeout_ms=1234)
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    engine.dispose()

    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "busy_timeout": 1234,
        "foreign_keys": 1,
    }


def test_the_busy_timeout_is_a_setting(tmp_path: Path) -> None:
    app = bootstrap(load_settings(instance_path=tmp_path, sqlite_busy_timeout_ms=777))
    with app.engine().connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 777
    app.shutdown_resources()


def test_a_writing_unit_of_work_takes_the_lock_up_front_and_a_reading_one_cannot_write(
    tmp_path: Path, sqlite_template: Path
) -> None:
    (tmp_path / "aiops.db").write_bytes(sqlite_template.read_bytes())
    app = bootstrap(load_settings(instance_path=tmp_path))
    engine = app.engine()
    with writes_seen(engine) as seen, app.uow(read_only=True) as uow:
        uow.tenants.list()
    assert seen == []
    with writes_seen(engine) as seen, app.uow() as uow:
        uow.tenants.list()
    assert seen == ["BEGIN IMMEDIATE"]
    with app.uow(read_only=True) as uow, pytest.raises(OperationalError, match="readonly"):
        uow.tenants.add(Tenant(slug="nope", name="Nope"))
    app.shutdown_resources()


GET_PARAMS = {"slug": "acme", "session_id": "1", "run_id": "1"}


def every_get_path(world: World) -> list[str]:
    paths = []
    for route in all_routes():
        methods = getattr(route, "methods", None) or ()
        stream = route.path.startswith("/events/") or (
            route.path.endswith("/events") and not route.path.startswith("/api/")
        )  # streams (see run_stream and live): they never end
        if "GET" not in methods or stream:
            continue
        path = route.path.replace("{project_id:int}", str(world.web_id))
        for name, value in GET_PARAMS.items():
            path = path.replace(f"{{{name}:int}}", value).replace(f"{{{name}}}", value)
        paths.append(path)
    return paths


def test_no_page_list_or_api_get_writes(app: Container, world: World, client: TestClient) -> None:
    """Pages and API GETs, signed in and with a token, write nothing (the token's use is
    recorded at most once a minute: the first pass records it)."""
    sign_in(client, World.ADMIN)
    paths = every_get_path(world)
    headers = bearer(world, World.ADMIN)
    assert len(paths) > 30
    for path in paths:  # first pass: the token's use is recorded (once)
        client.get(path, headers=headers if path.startswith("/api/") else None)

    statuses, writes = {}, {}
    for path in paths:
        with writes_seen(app.engine()) as seen:
            statuses[path] = client.get(
                path, headers=headers if path.startswith("/api/") else None
            ).status_code
        writes[path] = seen

    assert {path: seen for path, seen in writes.items() if seen} == {}
    assert all(status < 500 for status in statuses.values()), statuses
    assert statuses["/"] == statuses["/api/v1/tenants"] == 200


def test_a_token_is_recorded_as_used_at_most_once_a_minute(
    app: Container, world: World, client: TestClient
) -> None:
    headers = bearer(world, World.MEMBER)
    client.get("/api/v1/users/me", headers=headers)

    with writes_seen(app.engine()) as seen:
        for _ in range(5):
            assert client.get("/api/v1/users/me", headers=headers).status_code == 200

    assert seen == []
    (token,) = app.list_tokens()(World.MEMBER)
    assert token.last_used_at is not None


def test_a_405_names_every_method_of_its_path(client: TestClient) -> None:
    response = client.delete("/api/v1/tenants")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_every_operation_documents_the_statuses_any_operation_may_answer() -> None:
    """401 (no valid token) and 503 (database busy, with Retry-After, or unavailable) can come
    from any operation that touches the database; 400 and 413 from any that takes a body."""
    for path, operations in DOCUMENT["paths"].items():
        if path == "/api/v1/openapi.json":
            continue
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"401", "503"} <= statuses, (method, path)
            assert "Retry-After" in operation["responses"]["503"]["headers"]
            if "requestBody" in operation:
                assert {"400", "413"} <= statuses, (method, path)


@contextmanager
def write_lock_held(database: Path) -> Iterator[None]:
    """Another process's writer holding SQLite's write lock."""
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def busy_app(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Container, Path]]:
    """An app on SQLite whose writes give up after 50 ms."""
    instance = tmp_path / "instance"
    instance.mkdir()
    database = instance / "aiops.db"
    database.write_bytes(sqlite_template.read_bytes())
    app = bootstrap(
        load_settings(
            instance_path=instance,
            workspace_root=tmp_path / "home",
            sqlite_busy_timeout_ms=50,
            argon2_time_cost=2,
            argon2_memory_kib=19 * 1024,
            argon2_parallelism=1,
        )
    )
    yield app, database
    app.shutdown_resources()


def snapshot(database: Path, instance: Path) -> tuple[list[str], list[str]]:
    """Every row of every table, and every file of the instance folder."""
    with sqlite3.connect(database) as db:
        rows = list(db.iterdump())
    files = sorted(
        str(p.relative_to(instance))
        for p in instance.rglob("*")
        if p.is_file() and not p.name.startswith("aiops.db")
    )
    return rows, files


WRITE_REQUESTS = st.one_of(
    st.builds(
        lambda slug: ("POST", "/api/v1/tenants", {"slug": slug, "name": "New"}),
        st.from_regex(r"n[a-z0-9]{1,20}", fullmatch=True),
    ),
    st.builds(
        lambda slug: ("POST", "/api/v1/projects", {"tenant": "acme", "slug": slug, "name": "P"}),
        st.from_regex(r"n[a-z0-9]{1,20}", fullmatch=True),
    ),
    st.builds(
        lambda name: ("PATCH", "/api/v1/tenants/acme", {"name": name}),
        st.text(st.characters(min_codepoint=65, max_codepoint=122), min_size=1, max_size=30),
    ),
    st.builds(
        lambda user: ("POST", "/api/v1/users", {"email": f"{user}@example.com", "name": "U"}),
        st.from_regex(r"u[a-z0-9]{1,20}", fullmatch=True),
    ),
    st.sampled_from(["member", "viewer", "owner"]).map(
        lambda role: (
            "PUT",
            "/api/v1/tenants/acme/members",
            {"email": World.NOBODY, "role": role},
        )
    ),
)


def test_a_request_refused_for_a_busy_database_leaves_nothing_behind(
    busy_app: tuple[Container, Path],
) -> None:
    app, database = busy_app
    world = populate_world(app)
    headers = bearer(world, World.ADMIN)
    instance = database.parent

    with TestClient(create_app(app), follow_redirects=False) as client:
        client.get("/api/v1/users/me", headers=headers)  # the token's use, recorded now

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(request=WRITE_REQUESTS)
        def refused(request: tuple[str, str, dict[str, object]]) -> None:
            method, path, body = request
            before = snapshot(database, instance)
            with write_lock_held(database):
                response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert response.json()["error"] == {
                "code": "database_busy",
                "message": "the database is busy, try again",
            }
            assert snapshot(database, instance) == before

        refused()
        # And once the lock is free, the same request goes through.
        response = client.post(
            "/api/v1/tenants", json={"slug": "late", "name": "L"}, headers=headers
        )
        assert response.status_code == 201


def test_a_read_goes_on_while_another_writer_holds_the_lock(
    busy_app: tuple[Container, Path],
) -> None:
    app, database = busy_app
    world = populate_world(app)
    headers = bearer(world, World.ADMIN)
    with TestClient(create_app(app), follow_redirects=False) as client:
        client.get("/api/v1/users/me", headers=headers)
        with write_lock_held(database):
            response = client.get("/api/v1/tenants", headers=headers)
    assert response.status_code == 200
    assert {t["slug"] for t in response.json()} == {"acme", "globex"}
