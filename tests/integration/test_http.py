"""The HTTP entrypoint's health and readiness, on both databases."""

from __future__ import annotations

import attrs
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from aiops import __version__
from aiops.adapters.sqlalchemy import migrations
from aiops.config import SecretStr, Settings
from aiops.container import Container, bootstrap
from aiops.domain.errors import SecretKeyMismatch
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


def test_the_app_refuses_a_secret_key_that_does_not_open_the_database(
    settings: Settings, migrated: Engine
) -> None:
    first = bootstrap(settings)
    create_app(first)  # adopts the generated key: stores its probe
    first.shutdown_resources()
    other = attrs.evolve(settings, secret_key=SecretStr("z" * 40))

    refused, accepted = bootstrap(other), bootstrap(settings)
    try:
        with pytest.raises(SecretKeyMismatch, match="does not open the secrets stored"):
            create_app(refused)
        assert create_app(accepted).state.container is accepted
    finally:
        refused.shutdown_resources()
        accepted.shutdown_resources()
