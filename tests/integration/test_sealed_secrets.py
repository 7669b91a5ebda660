"""The sealed secret store's contract on the fake, SQLite and PostgreSQL, and that it knows
every sealed column of the schema (a column it missed would keep its old seal on rotation)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from aiops.adapters.sqlalchemy import tables
from aiops.adapters.sqlalchemy.sealed_secrets import SEALED
from aiops.ports.unit_of_work import SealedSecret, UnitOfWork
from tests.integration.test_repositories import new_uow
from tests.integration.test_tracker_repositories import seed_connection

__all__ = ["new_uow"]


def test_every_sealed_column_of_the_schema_is_known_to_the_store() -> None:
    sealed_columns = {
        f"{table.name}.{column.name}"
        for table in tables.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_sealed")
    }

    assert {f"{table.name}.{column.name}" for table, column in SEALED.values()} == sealed_columns


def test_lists_replaces_and_probes(new_uow: Callable[[], UnitOfWork]) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    with new_uow() as uow:
        project = uow.projects.get(connection.project_id)
        assert project is not None
        uow.projects.update(attrs.evolve(project, https_token_sealed="https-1"))
        uow.trackers.update(attrs.evolve(connection, webhook_secret_sealed="hook-1"))
        uow.commit()

    with new_uow() as uow:
        before = list(uow.sealed_secrets.all())
        for secret in before:
            uow.sealed_secrets.replace(secret, secret.sealed + "+rotated")
        uow.sealed_secrets.set_probe("probe-1")
        uow.sealed_secrets.set_probe("probe-2")
        uow.commit()
    with new_uow() as uow:
        after = list(uow.sealed_secrets.all())
        probe = uow.sealed_secrets.probe()
        reloaded = uow.trackers.get(connection.id)

    assert {(s.kind, s.owner_id) for s in before} == {
        ("project https token", connection.project_id),
        ("tracker token", connection.id),
        ("tracker webhook secret", connection.id),
    }
    assert sorted(s.sealed for s in after) == sorted(s.sealed + "+rotated" for s in before)
    assert probe == "probe-2"
    assert reloaded is not None
    assert reloaded.webhook_secret_sealed == "hook-1+rotated"
    assert "hook-1" not in repr(SealedSecret("tracker webhook secret", 1, "hook-1"))


def test_a_database_without_secrets_has_none_and_no_probe(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    with new_uow() as uow:
        assert (list(uow.sealed_secrets.all()), uow.sealed_secrets.probe()) == ([], None)
