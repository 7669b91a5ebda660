"""`aiops secrets rotate-key`, and `aiops serve` refusing a wrong or missing secret key
(subprocesses on a real SQLite instance, secrets sealed with the real Fernet box)."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from aiops.adapters.fernet_secret_box import FernetSecretBox
from aiops.domain.errors import SecretUnreadable
from tests.integration.test_cli import Cli

TOKEN, HOOK, HTTPS = "ghp_rotate_canary_1", "hook_rotate_canary_2", "https_rotate_canary_3"
ENV_KEY = "k" * 40


def with_secrets(cli: Cli, template: Path) -> Cli:
    cli.start_upgraded(template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    cli.ok("project", "update", "1", "--https-token-stdin", stdin=HTTPS + "\n")
    cli.ok(
        "tracker", "add", "--project-id", "1", "--provider", "github",
        "--base-url", "https://api.github.com", "--key", "acme/web",
        "--token-stdin", "--webhook-secret-stdin", stdin=f"{TOKEN}\n{HOOK}\n",
    )  # fmt: skip
    return cli


def sealed_values(cli: Cli) -> list[str]:
    with sqlite3.connect(cli.home / "instance" / "aiops.db") as db:
        tracker = db.execute("SELECT token_sealed, webhook_secret_sealed FROM tracker_connections")
        project = db.execute("SELECT https_token_sealed FROM projects")
        return [*tracker.fetchone(), *project.fetchone()]


def opened(key: str, values: list[str]) -> list[str]:
    box = FernetSecretBox(key)
    return [box.open(value) for value in values]


def key_file(cli: Cli) -> Path:
    return cli.home / "instance" / "secret.key"


def serve_refusal(cli: Cli) -> str:
    result = cli.run("serve", "--port", "1")  # never binds: the check comes first
    assert result.returncode == 1, result.stderr
    return result.stderr


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    return with_secrets(Cli(tmp_path), sqlite_template)


def test_rotation_reseals_every_secret_under_a_new_key_file(cli: Cli) -> None:
    old_key = key_file(cli).read_text()
    before = sealed_values(cli)

    result = cli.run("secrets", "rotate-key")

    assert result.returncode == 0, result.stderr
    assert "re-sealed 3 secrets" in result.stderr
    new_key = key_file(cli).read_text()
    assert new_key != old_key
    assert stat.S_IMODE(key_file(cli).stat().st_mode) == 0o600
    assert not (cli.home / "instance" / "secret.key.new").exists()
    after = sealed_values(cli)
    assert opened(new_key, after) == [TOKEN, HOOK, HTTPS]
    with pytest.raises(SecretUnreadable):
        opened(old_key, after)
    assert opened(old_key, before) == [TOKEN, HOOK, HTTPS]
    assert all(secret not in result.stdout + result.stderr for secret in (TOKEN, HOOK, HTTPS))
    [event] = [e for e in cli.json("audit", "list") if e["action"] == "secrets.rotated"]
    assert event["detail"] == {"count": 3}


def test_serve_refuses_the_old_key_and_a_missing_one(cli: Cli) -> None:
    old_key = key_file(cli).read_text()
    cli.ok("secrets", "rotate-key")
    new_key = key_file(cli).read_text()

    key_file(cli).write_text(old_key)
    wrong = serve_refusal(cli)
    key_file(cli).unlink()
    missing = serve_refusal(cli)

    assert "aiops: error: the secret key does not open the secrets stored" in wrong
    assert "aiops: error: the secret key is missing" in missing
    assert not key_file(cli).exists()  # the key generated for the check is not left behind
    assert opened(new_key, sealed_values(cli)) == [TOKEN, HOOK, HTTPS]


def test_an_interrupted_rotation_is_not_run_over(cli: Cli) -> None:
    staged = cli.home / "instance" / "secret.key.new"
    staged.write_text("x" * 40)
    before = sealed_values(cli)

    result = cli.run("secrets", "rotate-key")

    assert result.returncode == 1
    assert "secret.key.new exists: an earlier rotation was interrupted" in result.stderr
    assert sealed_values(cli) == before
    assert staged.read_text() == "x" * 40


def test_a_key_from_the_environment_is_rotated_with_one_from_stdin(
    tmp_path: Path, sqlite_template: Path
) -> None:
    cli = with_secrets(Cli(tmp_path, AIOPS_SECRET_KEY=ENV_KEY), sqlite_template)
    new_key = "n" * 40

    asked = cli.run("secrets", "rotate-key")
    short = cli.run("secrets", "rotate-key", "--new-key-stdin", stdin="too short\n")
    rotated = cli.run("secrets", "rotate-key", "--new-key-stdin", stdin=new_key + "\n")
    refused = serve_refusal(cli)

    assert asked.returncode == 2
    assert "--new-key-stdin" in asked.stderr
    assert short.returncode == 1
    assert "the new key must be at least 32 characters" in short.stderr
    assert rotated.returncode == 0, rotated.stderr
    assert "now set AIOPS_SECRET_KEY" in rotated.stderr
    assert opened(new_key, sealed_values(cli)) == [TOKEN, HOOK, HTTPS]
    assert "does not open the secrets stored" in refused
    assert not key_file(cli).exists()
