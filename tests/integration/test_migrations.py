"""Migrations on SQLite and PostgreSQL: every revision up, down and up again; the schema they
build equals the tables the code uses; a database behind them is named, never half-used."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from aiops.adapters.errors import SchemaOutOfDate
from aiops.adapters.sqlalchemy import migrations
from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.adapters.sqlalchemy.tables import metadata


def revisions_oldest_first() -> list[tuple[str, str]]:
    config = Config()
    config.set_main_option("script_location", str(migrations.script_location()))
    script = ScriptDirectory.from_config(config)
    steps = [(rev.revision, rev.down_revision or "base") for rev in script.walk_revisions()]
    return list(reversed(steps))  # type: ignore[arg-type]


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_stairway_every_revision_upgrades_downgrades_and_upgrades_again(engine: Engine) -> None:
    for revision, previous in revisions_oldest_first():
        migrations.upgrade(engine, revision)
        migrations.downgrade(engine, previous)
        migrations.upgrade(engine, revision)
        assert migrations.current_revision(engine) == revision


def test_upgrade_to_head_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrations.upgrade(engine)
    assert tables(engine) == set(metadata.tables)

    migrations.downgrade(engine, "base")
    assert tables(engine) == set()
    assert migrations.current_revision(engine) is None

    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()


def test_migrated_schema_matches_the_tables_the_code_uses(migrated: Engine) -> None:
    with migrated.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), metadata
        )
    assert differences == []


def test_an_empty_database_is_refused_with_the_command_to_run(engine: Engine) -> None:
    with pytest.raises(SchemaOutOfDate, match=r"no aiops schema yet.*run `aiops db upgrade`"):
        migrations.ensure_current(engine)


def test_a_database_behind_is_refused_naming_both_revisions(migrated: Engine) -> None:
    (oldest, _), *_ = revisions_oldest_first()
    migrations.downgrade(migrated, oldest)

    with pytest.raises(SchemaOutOfDate) as raised:
        migrations.ensure_current(migrated)

    assert str(raised.value) == (
        f"database is at revision {oldest}, this code needs {migrations.head_revision()}: "
        "run `aiops db upgrade`"
    )


def test_a_revision_this_code_does_not_know_is_refused_with_both_revisions(
    migrated: Engine,
) -> None:
    with migrated.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'future9'"))

    with pytest.raises(SchemaOutOfDate) as raised:
        migrations.ensure_current(migrated)

    message = str(raised.value)
    assert message.startswith("database is at revision future9, which this version")
    assert f"needs {migrations.head_revision()}" in message


def test_a_current_database_passes(migrated: Engine) -> None:
    assert migrations.ensure_current(migrated) == migrations.head_revision()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'aiops.db'}")
    migrations.upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_head_read_from_the_revision_files_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations.script_location()))

    assert migrations.head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_0019_adds_the_loop_switches_off_and_its_downgrade_keeps_the_projects(
    engine: Engine,
) -> None:
    migrations.upgrade(engine, "0018")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenants (id, slug, name, color) VALUES (1, 'acme', 'Acme', '#123456')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO projects (id, tenant_id, slug, name, default_branch) "
                "VALUES (1, 1, 'web', 'Web', 'main')"
            )
        )

    migrations.upgrade(engine, "0019")
    assert {"pull_requests", "loop_steps"} <= tables(engine)
    with engine.connect() as connection:
        switches = connection.execute(
            text("SELECT auto_pull_request, auto_review_to_agent FROM projects WHERE id = 1")
        ).one()
    assert tuple(switches) == (False, False)

    migrations.downgrade(engine, "0018")
    assert not {"pull_requests", "loop_steps"} & tables(engine)
    columns = {column["name"] for column in inspect(engine).get_columns("projects")}
    assert not {"auto_pull_request", "auto_review_to_agent"} & columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT slug FROM projects")).scalars().all() == ["web"]


def test_0020_marks_existing_memberships_manual_and_its_downgrade_keeps_them(
    engine: Engine,
) -> None:
    migrations.upgrade(engine, "0019")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenants (id, slug, name, color) VALUES (1, 'acme', 'Acme', '#123456')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, username, is_admin, session_generation) "
                "VALUES (1, 'ivo@example.com', 'Ivo', 'ivo', true, 0)"
            )
        )
        connection.execute(
            text("INSERT INTO memberships (user_id, tenant_id, role) VALUES (1, 1, 'member')")
        )

    migrations.upgrade(engine, "0020")
    assert {"user_identities", "sign_in_links"} <= tables(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT source FROM memberships")).scalar_one() == "manual"
        assert connection.execute(text("SELECT admin_source FROM users")).scalar_one() is None

    migrations.downgrade(engine, "0019")
    assert not {"user_identities", "sign_in_links"} & tables(engine)
    assert "source" not in {c["name"] for c in inspect(engine).get_columns("memberships")}
    assert "admin_source" not in {c["name"] for c in inspect(engine).get_columns("users")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT role FROM memberships")).scalar_one() == "member"
