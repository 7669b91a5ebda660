"""`aiops user sign-in-link` end to end: one line with the link (the break-glass way in when
password sign-in is off), the expiry on stderr, and a link that works once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiops.config import load_settings
from aiops.container import bootstrap
from aiops.domain.errors import AuthenticationFailed
from aiops.domain.usecases.auth import SignInCommand
from aiops.domain.usecases.sign_in_links import RedeemSignInLinkCommand
from tests.integration.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path, AIOPS_PASSWORD_LOGIN="false")
    cli.start_upgraded(sqlite_template)
    cli.ok("user", "create", "--email", "root@example.com", "--name", "Root", "--admin")
    return cli


def test_the_link_is_printed_alone_and_signs_in_once(cli: Cli) -> None:
    result = cli.run("user", "sign-in-link", "--email", "root@example.com")
    app = bootstrap(load_settings(instance_path=cli.home / "instance", password_login=False))

    assert result.returncode == 0, result.stderr
    found = re.fullmatch(
        r"http://127\.0\.0\.1:8000/login/link/([A-Za-z0-9_-]{43})\n", result.stdout
    )
    assert found is not None, result.stdout
    secret = found.group(1)
    assert re.fullmatch(r"one use, until \S+ \S+ UTC, for root@example\.com\n", result.stderr)
    redeem = app.redeem_sign_in_link()
    command = RedeemSignInLinkCommand(secret=secret, address="127.0.0.1")
    assert redeem(command).actor.name == "root@example.com"
    with pytest.raises(AuthenticationFailed):
        redeem(command)
    with pytest.raises(AuthenticationFailed, match="password sign-in is turned off"):
        app.sign_in()(SignInCommand(email="root@example.com", password="x" * 12, address="::1"))
    audit = cli.json("audit", "list")
    assert "user.sign_in_link_created" in {event["action"] for event in audit}
    assert secret not in str(audit)
    app.shutdown_resources()


def test_the_link_starts_with_aiops_url_when_it_is_set(cli: Cli) -> None:
    result = cli.run(
        "user",
        "sign-in-link",
        "--email",
        "root@example.com",
        env={"AIOPS_URL": "https://aiops.example.com/ops/"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://aiops.example.com/ops/login/link/")


def test_a_link_for_nobody_is_one_line_and_exit_1(cli: Cli) -> None:
    result = cli.run("user", "sign-in-link", "--email", "nobody@example.com")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "does not exist" in result.stderr
    assert result.stdout == ""
