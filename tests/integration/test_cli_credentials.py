"""`aiops credentials set | list` end to end, in subprocesses: files checked, stored 0600,
copied into the user's HOME as their account (as root, for a throwaway account), and a canary
credential never printed, logged (at debug level) or recorded in the audit trail."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from aiops.ports.linux_users import LinuxAccount
from tests.accounts import needs_root
from tests.integration.test_cli import Cli
from tests.integration.test_file_credentials import account  # noqa: F401 - a fixture

CANARY = "CANARY-5d0b7e"
CODEX = json.dumps(
    {
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": f"eyJ.{CANARY}",
            "access_token": f"eyJ.{CANARY}",
            "refresh_token": CANARY,
            "account_id": "acct",
        },
        "last_refresh": "2026-11-25T10:00:00Z",
    }
)
GEMINI = json.dumps({"access_token": CANARY, "refresh_token": CANARY, "expiry_date": 1})
ACCOUNTS = '{"active": "ivo@example.com", "old": []}'
CLAUDE = f"sk-ant-oat01-{CANARY}-0123456789\n"


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path, AIOPS_LOG_LEVEL="debug")
    cli.start_upgraded(sqlite_template)
    cli.ok("seed", "--admin-email", "ops@example.com")
    cli.ok("user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    return cli


def written(folder: Path, **files: str) -> list[str]:
    paths = []
    for name, content in files.items():
        path = folder / name.replace("_json", ".json")
        path.write_text(content)
        paths.extend(["--file", str(path)])
    return paths


def assert_no_canary(cli: Cli, *outputs: str) -> None:
    audit = cli.run("audit", "list", "--json")
    for text in (*outputs, audit.stdout, audit.stderr):
        assert CANARY not in text


def test_set_stores_each_tools_files_and_list_shows_only_when_and_a_fingerprint(
    cli: Cli, tmp_path: Path
) -> None:
    results = [
        cli.run(
            "credentials",
            "set",
            "--user-email",
            "ivo@example.com",
            "--tool",
            "codex",
            *written(tmp_path, auth_json=CODEX),
        ),
        cli.run(
            "credentials",
            "set",
            "--user-email",
            "ivo@example.com",
            "--tool",
            "gemini",
            *written(tmp_path, oauth_creds_json=GEMINI, google_accounts_json=ACCOUNTS),
        ),
        cli.run(
            "credentials",
            "set",
            "--user-email",
            "ivo@example.com",
            "--tool",
            "claude",
            "--stdin",
            stdin=CLAUDE,
        ),
    ]
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "credentials saved for ivo@example.com" in result.stdout
        assert "has no Linux account here" in result.stderr
    listed = cli.json("credentials", "list")
    assert [(row["tool"], row["user"], row["files"]) for row in listed] == [
        ("codex", "ivo@example.com", "auth.json"),
        ("gemini", "ivo@example.com", "google_accounts.json,oauth_creds.json"),
        ("claude", "ivo@example.com", "key"),
    ]
    table = cli.ok("credentials", "list")
    assert all(str(row["fingerprint"]) in table for row in listed)
    instance = tmp_path / "instance"
    key = instance / "claude" / "user-2" / "key"
    assert key.read_text() == CLAUDE.strip()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert_no_canary(cli, table, *(r.stdout + r.stderr for r in results))
    events = [e for e in cli.json("audit", "list") if e["action"] == "credentials.saved"]
    assert len(events) == 3


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("--tool", "codex", "--stdin"), f'{{"nope": "{CANARY}"}}', 'needs "tokens"'),
        (("--tool", "claude", "--stdin"), f"not-a-key-{CANARY}", "sk-ant-"),
        (("--tool", "gemini", "--stdin"), f'{{"access_token": "{CANARY}"', "not valid JSON"),
        (("--tool", "shell", "--stdin"), "x", "takes no credentials"),
    ],
)
def test_a_bad_paste_exits_1_without_echoing_it_and_stores_nothing(
    cli: Cli, args: tuple[str, ...], stdin: str, says: str
) -> None:
    result = cli.run("credentials", "set", "--user-email", "ivo@example.com", *args, stdin=stdin)
    assert result.returncode == 1
    assert says in result.stderr
    assert_no_canary(cli, result.stdout, result.stderr)
    assert cli.json("credentials", "list") == []


def test_set_needs_a_file_or_stdin_and_a_known_file_name(cli: Cli, tmp_path: Path) -> None:
    neither = cli.run("credentials", "set", "--user-email", "ivo@example.com", "--tool", "codex")
    assert neither.returncode == 2
    odd = tmp_path / "creds.json"
    odd.write_text(GEMINI)
    wrong = cli.run(
        "credentials",
        "set",
        "--user-email",
        "ivo@example.com",
        "--tool",
        "gemini",
        "--file",
        str(odd),
    )
    assert wrong.returncode == 1
    assert "'creds.json' is not one of gemini's files" in wrong.stderr


@needs_root
def test_as_root_the_files_are_copied_into_their_home_as_their_account(
    cli: Cli,
    tmp_path: Path,
    account: LinuxAccount,  # noqa: F811 - the fixture
) -> None:
    cli.ok(
        "user",
        "create",
        "--email",
        "lin@example.com",
        "--name",
        "Lin",
        "--linux-username",
        account.name,
    )
    result = cli.run(
        "credentials",
        "set",
        "--user-email",
        "lin@example.com",
        "--tool",
        "codex",
        *written(tmp_path, auth_json=CODEX),
    )
    assert result.returncode == 0, result.stderr
    mirrored = Path(account.home) / ".codex" / "auth.json"
    assert f"copied into {account.home}/.codex" in result.stdout
    assert mirrored.read_text() == CODEX
    info = mirrored.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (
        account.uid, account.gid, 0o600,
    )  # fmt: skip
    assert (mirrored.parent.stat().st_uid, stat.S_IMODE(mirrored.parent.stat().st_mode)) == (
        account.uid, 0o700,
    )  # fmt: skip
    stored = (tmp_path / "instance" / "codex" / "user-3" / "auth.json").stat()
    assert (stored.st_uid, stat.S_IMODE(stored.st_mode)) == (0, 0o600)  # aiops's own
    assert_no_canary(cli, result.stdout, result.stderr)


@needs_root
def test_as_root_a_config_folder_symlinked_to_a_root_only_folder_gets_nothing_but_the_save_is_kept(
    cli: Cli,
    tmp_path: Path,
    account: LinuxAccount,  # noqa: F811 - the fixture
) -> None:
    root_only = tmp_path / "root-only"  # pytest's tmp_path is root's alone
    root_only.mkdir(mode=0o700)
    os.symlink(root_only, Path(account.home) / ".codex")
    cli.ok(
        "user",
        "create",
        "--email",
        "lin@example.com",
        "--name",
        "Lin",
        "--linux-username",
        account.name,
    )
    result = cli.run(
        "credentials",
        "set",
        "--user-email",
        "lin@example.com",
        "--tool",
        "codex",
        *written(tmp_path, auth_json=CODEX),
    )
    assert result.returncode == 0, result.stderr
    assert "warning: not copied into HOME" in result.stderr
    assert f"{account.home}/.codex as {account.name}: not a folder (a symlink?)" in result.stderr
    assert list(root_only.iterdir()) == []
    assert (root_only.stat().st_uid, stat.S_IMODE(root_only.stat().st_mode)) == (0, 0o700)
    assert [row["user"] for row in cli.json("credentials", "list")] == ["lin@example.com"]
