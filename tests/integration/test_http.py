"""The HTTP entrypoint's health and readiness, on both databases."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.testclient import TestClient

from aiops import __version__
from aiops.adapters.sqlalchemy import migrations
from aiops.config import Settings
from aiops.container import Container, bootstrap
from aiops.entrypoints.http.app import create_app


def test_healthz_and_readyz_on_a_current_database(app: Container) -> None:
    with TestClient(create_app(app)) as client:
        health = client.get("/healthz")
        ready = client.get("/readyz")

    assert (health.status_code, health.json()) == (200, {"status": "ok", "version": __version__})
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "revision": migrations.head_revision()}


def test_readyz_is_503_with_the_reason_when_migrations_are_behind(
    settings: Settings, engine: Engine
) -> None:
    with TestClient(create_app(bootstrap(settings))) as client:
        ready = client.get("/readyz")
        health = client.get("/healthz")

    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "schema_out_of_date"
    assert "aiops db upgrade" in ready.json()["error"]["message"]
    assert health.status_code == 200
