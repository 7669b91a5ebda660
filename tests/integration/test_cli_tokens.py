"""`aiops token` end to end: the secret printed once, listed without it, revoked for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.config import load_settings
from aiops.container import bootstrap
from aiops.domain.errors import AuthenticationFailed
from tests.integration.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.start_upgraded(sqlite_template)
    cli.ok("user", "create", "--email", "ci@example.com", "--name", "CI")
    return cli


def test_create_list_use_and_revoke_a_token(cli: Cli) -> None:
    created = cli.run("token", "create", "--email", "ci@example.com", "--name", "pipeline")
    secret = created.stdout.strip()
    listed = cli.json("token", "list", "--email", "ci@example.com")
    app = bootstrap(load_settings(instance_path=cli.home / "instance"))

    assert created.stdout.count("\n") == 1
    assert secret.startswith("aiops_")
    assert "shown once" in created.stderr
    assert [(t["name"], t["revoked_at"]) for t in listed] == [("pipeline", None)]
    assert secret not in str(listed)
    assert all("token_hash" not in t for t in listed)
    assert app.authenticate_token()(secret).name == "ci@example.com"

    assert "revoked" in cli.ok("token", "revoke", str(listed[0]["id"]))
    with pytest.raises(AuthenticationFailed):
        app.authenticate_token()(secret)
    assert cli.json("token", "list", "--email", "ci@example.com")[0]["revoked_at"] is not None
    app.shutdown_resources()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create", "--email", "nobody@example.com"], "does not exist"),
        (["token", "revoke", "999"], "token 999 does not exist"),
        (["token", "list", "--email", "not-an-email"], "not a valid email"),
    ],
)
def test_token_errors_are_one_line(cli: Cli, args: list[str], message: str) -> None:
    result = cli.run(*args)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
