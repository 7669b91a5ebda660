"""The file credential store on the real file system: 0600 files in 0700 folders, owned by
the user's Linux account (a throwaway account made for the test when running as root), copied
into their HOME, and never through a symlink the user planted there."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aiops.adapters.file_credentials import FileCredentialStore
from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.domain.model.credentials import (
    CLAUDE_KEY,
    CODEX_AUTH,
    GEMINI_ACCOUNTS,
    GEMINI_OAUTH,
    CredentialsRefused,
    fingerprint,
)
from aiops.domain.model.sessions import Tool
from aiops.ports.linux_users import LinuxAccount

CANARY = "CANARY-91f3aa"
CODEX = json.dumps({"tokens": {"id_token": CANARY, "access_token": "a", "refresh_token": "r"}})
GEMINI = json.dumps({"refresh_token": CANARY, "access_token": "a"}).encode()
ACCOUNTS = b'{"active": "alice@example.com", "old": []}'
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ROOT = os.geteuid() == 0


@pytest.fixture
def account() -> Iterator[LinuxAccount]:
    """A Linux account made for this test (`useradd --create-home`), removed with its HOME."""
    if not ROOT:
        pytest.skip("making a throwaway Linux account and changing owners needs root")
    name = f"aiops-t-{secrets.token_hex(3)}"
    subprocess.run(
        ["useradd", "--create-home", "--shell", "/bin/bash", name], check=True, timeout=30
    )
    try:
        found = PosixLinuxUsers().lookup(name)
        assert found is not None
        yield found
    finally:
        subprocess.run(["userdel", "-r", name], check=False, timeout=30, capture_output=True)


@pytest.fixture
def store(tmp_path: Path) -> FileCredentialStore:
    return FileCredentialStore(tmp_path / "instance")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_saved_files_are_0600_in_0700_folders_and_the_accounts(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    info = store.save(7, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, account, NOW)
    folder = tmp_path / "instance" / "codex" / "user-7"
    assert mode(folder) == 0o700
    assert mode(folder.parent) == 0o700
    assert folder.parent.lstat().st_uid == 0  # the tool's folder stays aiops's
    for path in (folder, folder / CODEX_AUTH, folder / "meta.json"):
        assert (path.lstat().st_uid, path.lstat().st_gid) == (account.uid, account.gid)
    assert mode(folder / CODEX_AUTH) == 0o600
    assert mode(folder / "meta.json") == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["auth.json", "meta.json"]  # no leftovers
    assert CANARY not in (folder / "meta.json").read_text()
    assert info.fingerprint == fingerprint({CODEX_AUTH: CODEX.encode()})


def test_info_and_secret_read_back_what_was_saved(store: FileCredentialStore) -> None:
    assert store.info(1, Tool.CLAUDE) is None
    assert store.secret(1, Tool.CLAUDE, CLAUDE_KEY) is None
    saved = store.save(1, Tool.CLAUDE, {CLAUDE_KEY: b"sk-ant-oat01-" + CANARY.encode()}, None, NOW)
    assert store.info(1, Tool.CLAUDE) == saved
    assert store.secret(1, Tool.CLAUDE, CLAUDE_KEY) == "sk-ant-oat01-" + CANARY
    assert store.info(2, Tool.CLAUDE) is None


def test_a_new_save_replaces_the_old_one_file_by_file(
    store: FileCredentialStore, tmp_path: Path
) -> None:
    store.save(3, Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}, None, NOW)
    info = store.save(3, Tool.GEMINI, {GEMINI_OAUTH: b'{"refresh_token": "new"}'}, None, NOW)
    folder = tmp_path / "instance" / "gemini" / "user-3"
    assert not (folder / GEMINI_ACCOUNTS).exists()
    assert (folder / GEMINI_OAUTH).read_bytes() == b'{"refresh_token": "new"}'
    assert info.files == (GEMINI_OAUTH,)
    assert store.info(3, Tool.GEMINI) == info


def test_a_symlink_inside_the_store_is_refused(store: FileCredentialStore, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store.save(4, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, None, NOW)
    folder = tmp_path / "instance" / "codex" / "user-5"
    folder.symlink_to(elsewhere)
    with pytest.raises(CredentialsRefused, match="not a folder"):
        store.save(5, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, None, NOW)
    assert list(elsewhere.iterdir()) == []


def test_mirroring_copies_into_home_owned_by_the_account(
    store: FileCredentialStore, account: LinuxAccount
) -> None:
    files = {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}
    store.save(8, Tool.GEMINI, files, account, NOW)
    assert store.mirror(8, Tool.GEMINI, ".gemini", account) is True
    config = Path(account.home) / ".gemini"
    assert mode(config) == 0o700
    assert config.lstat().st_uid == account.uid
    for name, content in files.items():
        path = config / name
        assert path.read_bytes() == content
        assert mode(path) == 0o600
        assert (path.lstat().st_uid, path.lstat().st_gid) == (account.uid, account.gid)
    assert sorted(p.name for p in config.iterdir()) == sorted(files)


def test_mirroring_only_the_named_files_and_nothing_when_nothing_is_saved(
    store: FileCredentialStore, account: LinuxAccount
) -> None:
    assert store.mirror(9, Tool.CODEX, ".codex", account) is False
    assert not (Path(account.home) / ".codex").exists()
    store.save(9, Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}, account, NOW)
    assert store.mirror(9, Tool.GEMINI, ".gemini", account, {GEMINI_ACCOUNTS}) is True
    assert [p.name for p in (Path(account.home) / ".gemini").iterdir()] == [GEMINI_ACCOUNTS]


def test_an_open_config_folder_is_closed_to_0700(
    store: FileCredentialStore, account: LinuxAccount
) -> None:
    config = Path(account.home) / ".codex"
    config.mkdir(mode=0o777)
    config.chmod(0o777)
    store.save(10, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, account, NOW)
    store.mirror(10, Tool.CODEX, ".codex", account)
    assert mode(config) == 0o700
    assert config.lstat().st_uid == account.uid


def test_a_symlink_planted_at_the_config_folder_is_refused(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (Path(account.home) / ".codex").symlink_to(elsewhere)
    before = elsewhere.lstat()
    store.save(11, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, account, NOW)
    with pytest.raises(CredentialsRefused, match=r"\.codex is not a folder \(a symlink\?\)"):
        store.mirror(11, Tool.CODEX, ".codex", account)
    assert list(elsewhere.iterdir()) == []
    after = elsewhere.lstat()
    assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)  # left as it was


def test_a_symlink_planted_at_the_file_is_replaced_never_written_through(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("root's file")
    config = Path(account.home) / ".codex"
    config.mkdir()
    (config / CODEX_AUTH).symlink_to(victim)
    store.save(12, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, account, NOW)
    store.mirror(12, Tool.CODEX, ".codex", account)
    assert victim.read_text() == "root's file"
    assert not (config / CODEX_AUTH).is_symlink()
    assert (config / CODEX_AUTH).read_text() == CODEX


def test_a_nested_config_folder_is_walked_without_following_symlinks(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (Path(account.home) / ".config").symlink_to(elsewhere)
    store.save(13, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, account, NOW)
    with pytest.raises(CredentialsRefused, match=r"\.config is not a folder"):
        store.mirror(13, Tool.CODEX, ".config/codex", account)
    assert list(elsewhere.iterdir()) == []
