"""`aiops notifications add|list|remove|test` in subprocesses, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.integration.notifications.conftest import JsonReceiver
from tests.integration.test_cli import Cli

SECRETS = ("s3cr3t-pass", "tok-0123456789", "hook-user")


def _instance(tmp_path: Path, database: str | None) -> Cli:
    if database is None:
        cli = Cli(tmp_path)
    else:
        engine = create_engine(database)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
        cli = Cli(tmp_path, AIOPS_DATABASE_URL=database)
    cli.ok("db", "upgrade")
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    return cli


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    database = request.getfixturevalue("postgres_database") if request.param == "postgres" else None
    return _instance(tmp_path, database)


def test_add_list_test_and_remove_with_masked_urls(cli: Cli, json_receiver: JsonReceiver) -> None:
    target_id = cli.ok("notifications", "add", "--user-email", "ivo@example.com",
                       "--url", json_receiver.url(), "--events", "waiting,failed").strip()  # fmt: skip
    listed = cli.ok("notifications", "list", "--user-email", "ivo@example.com")
    (row,) = cli.json("notifications", "list", "--user-email", "ivo@example.com")
    tested = cli.run("notifications", "test", target_id)
    json_receiver.statuses = [500]
    failed = cli.run("notifications", "test", target_id)
    (after,) = cli.json("notifications", "list", "--user-email", "ivo@example.com")
    removed = cli.ok("notifications", "remove", target_id)

    assert target_id.isdigit()
    assert "json://127.0.0.1…" in listed
    assert (row["id"], row["url"], row["events"]) == (
        int(target_id),
        "json://127.0.0.1…",
        "waiting,failed",
    )
    assert tested.returncode == 0, tested.stderr
    assert "test sent" in tested.stdout
    assert json_receiver.posts[0][1]["title"] == "aiops: test notification"
    assert failed.returncode == 1
    assert "500" in failed.stderr
    assert (after["last_result"], "500" in after["last_error"]) == ("failed", True)
    assert "removed" in removed
    assert cli.json("notifications", "list", "--user-email", "ivo@example.com") == []
    for output in (listed, str(row), tested.stdout + tested.stderr, failed.stderr, str(after)):
        for secret in SECRETS:
            assert secret not in output
    actions = [e["action"] for e in cli.json("audit", "list")]
    assert actions[:2] == ["notification.removed", "notification.added"]


def test_tenant_targets_and_bad_input_are_one_line(cli: Cli) -> None:
    added = cli.run("notifications", "add", "--tenant", "acme", "--url", "json://127.0.0.1/x",
                    "--events", "run-failed,job-failed")  # fmt: skip
    wrong_events = cli.run("notifications", "add", "--tenant", "acme", "--url",
                           "json://127.0.0.1/x", "--events", "waiting")  # fmt: skip
    local = cli.run("notifications", "add", "--user-email", "ivo@example.com", "--url",
                    "file:///etc/shadow", "--events", "waiting")  # fmt: skip
    both = cli.run("notifications", "add", "--user-email", "ivo@example.com", "--tenant", "acme",
                   "--url", "json://127.0.0.1/x", "--events", "waiting")  # fmt: skip
    unknown = cli.run("notifications", "remove", "999")

    assert added.returncode == 0, added.stderr
    assert [r["events"] for r in cli.json("notifications", "list", "--tenant", "acme")] == [
        "run-failed,job-failed"
    ]
    for result in (wrong_events, local, both, unknown):
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not allowed" in local.stderr
    assert "does not exist" in unknown.stderr
