"""`aiops tracker ...`, `aiops sync-issues` and `aiops issues list` end to end (subprocesses)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli

CANARY = "ghp_canary_7d3f9a1b"  # a token that must never be printed or stored in plaintext


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    return cli


def add(cli: Cli, *extra: str, stdin: str = CANARY + "\n") -> str:
    return cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "jira",
        "--base-url", "https://jira.example.com", "--key", "OPS", "--token-stdin", *extra,
        stdin=stdin,
    )  # fmt: skip


def test_add_list_and_remove_a_connection_without_showing_its_token(
    cli: Cli, tmp_path: Path
) -> None:
    connection_id = add(cli).strip()
    listed = cli.json("tracker", "list")
    table = cli.ok("tracker", "list")
    removed = cli.ok("tracker", "remove", connection_id)

    assert connection_id == "1"
    assert [(c["provider"], c["key"], c["base_url"]) for c in listed] == [
        ("jira", "OPS", "https://jira.example.com")
    ]
    assert CANARY not in json.dumps(listed) + table
    assert "tracker connection 1 removed" in removed
    assert cli.json("tracker", "list") == []
    with sqlite3.connect(tmp_path / "instance" / "aiops.db") as db:
        dump = "\n".join(db.iterdump())
    assert CANARY not in dump


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--provider", "svn"), CANARY, "is not one of github|gitlab|jira"),
        (("--key", "not a key"), CANARY, "is not a jira key"),
        (("--base-url", "file:///etc/passwd"), CANARY, "is not an http(s) URL"),
        ((), "", "token: must be 1-4096 characters"),
    ],
)
def test_bad_connections_are_one_line_errors(
    cli: Cli, args: tuple[str, ...], stdin: str, message: str
) -> None:
    base = {
        "--project-id": "1",
        "--provider": "jira",
        "--base-url": "https://jira.example.com",
        "--key": "OPS",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [part for pair in base.items() for part in pair]

    result = cli.run("tracker", "add", *argv, "--token-stdin", stdin=stdin + "\n")

    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert CANARY not in result.stderr
    assert cli.json("tracker", "list") == []


def test_the_token_is_never_an_argument(cli: Cli) -> None:
    result = cli.run(
        "tracker", "add", "--project-id", "1", "--provider", "jira",
        "--base-url", "https://jira.example.com", "--key", "OPS",
    )  # fmt: skip

    assert result.returncode == 2
    assert "--token-stdin" in result.stderr


def test_sync_reports_each_connection_and_fails_when_one_fails(cli: Cli) -> None:
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "jira",
        "--base-url", "http://127.0.0.1:9", "--key", "OPS", "--token-stdin", stdin=CANARY + "\n",
    )  # fmt: skip
    refused = (
        "127.0.0.1: refused, 127.0.0.1 is a loopback or private address "
        "(private networks are not allowed)"
    )

    text = cli.run("sync-issues")
    as_json = cli.run("sync-issues", "--json")

    assert text.returncode == as_json.returncode == 1
    assert f"jira OPS (#1): error: {refused}" in text.stderr
    assert CANARY not in text.stderr + as_json.stdout
    assert "synced 1 connections, 1 failed" in text.stdout
    (run,) = json.loads(as_json.stdout)
    assert run["connection_id"] == 1
    assert run["error"] == refused
    assert set(run) == {
        "connection_id", "created", "updated", "unchanged", "removed", "requests",
        "duration_s", "error",
    }  # fmt: skip
    assert cli.json("issues", "list") == []
