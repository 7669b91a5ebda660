"""`aiops project create|update --https-token-stdin` and `--clear-https-token`: the token is
read from standard input (never argv), stored sealed, and never printed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aiops.config import load_settings
from aiops.container import bootstrap
from tests.integration.test_cli import Cli

TOKEN = "ghp_CliT0kenFromStdin"


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    return cli


def sealed_column(cli: Cli) -> list[str | None]:
    with sqlite3.connect(cli.home / "instance" / "aiops.db") as db:
        return [row[0] for row in db.execute("SELECT https_token_sealed FROM projects ORDER BY id")]


def test_the_token_comes_from_stdin_is_stored_sealed_and_can_be_cleared(cli: Cli) -> None:
    created = cli.run("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
                      "--https-token-stdin", stdin=TOKEN + "\n")  # fmt: skip
    listed = cli.json("project", "list")
    table = cli.ok("project", "list")
    sealed = sealed_column(cli)
    app = bootstrap(load_settings(instance_path=cli.home / "instance", database_url=""))
    audit = cli.ok("audit", "list", "--json")

    assert created.returncode == 0, created.stderr
    assert [p["has_https_token"] for p in listed] == [True]
    assert all("https_token_sealed" not in p for p in listed)
    assert sealed[0] is not None
    assert app.secret_box().open(sealed[0]) == TOKEN
    for output in (created.stdout, created.stderr, table, audit, str(listed), str(sealed)):
        assert TOKEN not in output
    assert '"https_token": "set"' in audit

    project_id = str(listed[0]["id"])
    cli.ok("project", "update", project_id, "--clear-https-token")
    assert sealed_column(cli) == [None]
    cli.ok("project", "update", project_id, "--https-token-stdin", stdin=TOKEN + "\r\n")
    assert app.secret_box().open(sealed_column(cli)[0] or "") == TOKEN
    app.shutdown_resources()


def test_a_bad_token_on_stdin_is_refused_without_echo(cli: Cli) -> None:
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")

    empty = cli.run("project", "update", "1", "--https-token-stdin", stdin="")
    spaced = cli.run("project", "update", "1", "--https-token-stdin", stdin="ghp_a b\n")
    as_argument = cli.run("project", "update", "1", "--https-token", TOKEN)

    assert empty.returncode == 1
    assert "https_token: must be 1-4096 characters" in empty.stderr
    assert spaced.returncode == 1
    assert "ghp_a b" not in spaced.stderr
    assert as_argument.returncode != 0
    assert sealed_column(cli) == [None]
