"""The file credential store on the real file system: aiops's own 0600 files in 0700 folders,
copied into the HOME of the user's Linux account as that account (a throwaway account made for
the test when running as root, through the launcher), and never through a symlink the account
planted there into a folder it could not write itself."""

from __future__ import annotations

import json
import os
import pwd
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from aiops.adapters.file_credentials import FileCredentialStore
from aiops.adapters.launching import AccountLauncher
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
from tests.accounts import IS_ROOT, launcher_as_root, needs_root, throwaway_account

CANARY = "CANARY-91f3aa"
CODEX = json.dumps({"tokens": {"id_token": CANARY, "access_token": "a", "refresh_token": "r"}})
GEMINI = json.dumps({"refresh_token": CANARY, "access_token": "a"}).encode()
ACCOUNTS = b'{"active": "alice@example.com", "old": []}'
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def account(tmp_path: Path) -> Iterator[LinuxAccount]:
    """A throwaway Linux account with its HOME (as root); without root, the current user with
    a HOME of the test's own (never the real one)."""
    if IS_ROOT:
        with throwaway_account() as made:
            yield made
        return
    home = tmp_path / "home"
    home.mkdir()
    me = pwd.getpwuid(os.geteuid())
    yield LinuxAccount(name=me.pw_name, uid=me.pw_uid, gid=me.pw_gid, home=str(home))


@pytest.fixture
def launcher(tmp_path: Path) -> AccountLauncher:
    return launcher_as_root(tmp_path)


@pytest.fixture
def store(tmp_path: Path, launcher: AccountLauncher) -> FileCredentialStore:
    return FileCredentialStore(tmp_path / "instance", launcher)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_saved_files_are_aiops_own_0600_in_0700_folders(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    info = store.save(7, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    store.mirror(7, Tool.CODEX, ".codex", account)
    folder = tmp_path / "instance" / "codex" / "user-7"
    for path in (folder.parent, folder, folder / CODEX_AUTH, folder / "meta.json"):
        assert path.lstat().st_uid == os.geteuid()  # the store is never handed to the user
    assert (mode(folder.parent), mode(folder)) == (0o700, 0o700)
    assert (mode(folder / CODEX_AUTH), mode(folder / "meta.json")) == (0o600, 0o600)
    assert sorted(p.name for p in folder.iterdir()) == ["auth.json", "meta.json"]  # no leftovers
    assert CANARY not in (folder / "meta.json").read_text()
    assert info.fingerprint == fingerprint({CODEX_AUTH: CODEX.encode()})


def test_info_and_secret_read_back_what_was_saved(store: FileCredentialStore) -> None:
    assert store.info(1, Tool.CLAUDE) is None
    assert store.secret(1, Tool.CLAUDE, CLAUDE_KEY) is None
    saved = store.save(1, Tool.CLAUDE, {CLAUDE_KEY: b"sk-ant-oat01-" + CANARY.encode()}, NOW)
    assert store.info(1, Tool.CLAUDE) == saved
    assert store.secret(1, Tool.CLAUDE, CLAUDE_KEY) == "sk-ant-oat01-" + CANARY
    assert store.info(2, Tool.CLAUDE) is None


def test_a_new_save_replaces_the_old_one_file_by_file(
    store: FileCredentialStore, tmp_path: Path
) -> None:
    store.save(3, Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}, NOW)
    info = store.save(3, Tool.GEMINI, {GEMINI_OAUTH: b'{"refresh_token": "new"}'}, NOW)
    folder = tmp_path / "instance" / "gemini" / "user-3"
    assert not (folder / GEMINI_ACCOUNTS).exists()
    assert (folder / GEMINI_OAUTH).read_bytes() == b'{"refresh_token": "new"}'
    assert info.files == (GEMINI_OAUTH,)
    assert store.info(3, Tool.GEMINI) == info


def test_a_symlink_inside_the_store_is_refused(store: FileCredentialStore, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    store.save(4, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    folder = tmp_path / "instance" / "codex" / "user-5"
    folder.symlink_to(elsewhere)
    with pytest.raises(CredentialsRefused, match="not a folder"):
        store.save(5, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    assert list(elsewhere.iterdir()) == []


def test_mirroring_writes_into_home_as_the_account(
    store: FileCredentialStore, account: LinuxAccount
) -> None:
    files = {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}
    store.save(8, Tool.GEMINI, files, NOW)
    assert store.mirror(8, Tool.GEMINI, ".gemini", account) is True
    config = Path(account.home) / ".gemini"
    assert mode(config) == 0o700
    assert (config.lstat().st_uid, config.lstat().st_gid) == (account.uid, account.gid)
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
    store.save(9, Tool.GEMINI, {GEMINI_OAUTH: GEMINI, GEMINI_ACCOUNTS: ACCOUNTS}, NOW)
    assert store.mirror(9, Tool.GEMINI, ".gemini", account, {GEMINI_ACCOUNTS}) is True
    assert [p.name for p in (Path(account.home) / ".gemini").iterdir()] == [GEMINI_ACCOUNTS]


def test_an_open_config_folder_of_the_accounts_is_closed_to_0700(
    store: FileCredentialStore, account: LinuxAccount
) -> None:
    config = Path(account.home) / ".codex"
    config.mkdir(mode=0o777)
    config.chmod(0o777)
    os.chown(config, account.uid, account.gid)
    store.save(10, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    store.mirror(10, Tool.CODEX, ".codex", account)
    assert mode(config) == 0o700
    assert config.lstat().st_uid == account.uid


def test_a_symlink_at_the_file_is_replaced_never_written_through(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("root's file")
    config = Path(account.home) / ".codex"
    config.mkdir()
    os.chown(config, account.uid, account.gid)
    (config / CODEX_AUTH).symlink_to(victim)
    store.save(12, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    store.mirror(12, Tool.CODEX, ".codex", account)
    assert victim.read_text() == "root's file"
    assert not (config / CODEX_AUTH).is_symlink()
    assert (config / CODEX_AUTH).read_text() == CODEX


@needs_root
def test_a_config_folder_symlinked_to_a_root_only_folder_gets_nothing(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    root_only = tmp_path / "root-only"  # pytest's tmp_path: root's alone
    root_only.mkdir(mode=0o700)
    (Path(account.home) / ".codex").symlink_to(root_only)
    before = root_only.lstat()
    store.save(11, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    with pytest.raises(CredentialsRefused, match=r"\.codex as aiops-t-\w+: not a folder"):
        store.mirror(11, Tool.CODEX, ".codex", account)
    assert list(root_only.iterdir()) == []
    after = root_only.lstat()
    assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)  # left as it was
    assert store.info(11, Tool.CODEX) is not None  # the credentials stay saved


@needs_root
def test_a_nested_config_folder_through_a_symlink_to_a_root_only_folder_gets_nothing(
    store: FileCredentialStore, account: LinuxAccount, tmp_path: Path
) -> None:
    root_only = tmp_path / "root-only"
    root_only.mkdir(mode=0o700)
    (Path(account.home) / ".config").symlink_to(root_only)
    store.save(13, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    with pytest.raises(CredentialsRefused, match="Permission denied"):
        store.mirror(13, Tool.CODEX, ".config/codex", account)
    assert list(root_only.iterdir()) == []


@needs_root
def test_a_config_folder_that_is_not_the_accounts_is_refused(
    store: FileCredentialStore, account: LinuxAccount
) -> None:
    config = Path(account.home) / ".codex"
    config.mkdir(mode=0o777)
    config.chmod(0o777)  # root's, though the account may write in it
    store.save(14, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    with pytest.raises(CredentialsRefused, match="the folder belongs to uid 0"):
        store.mirror(14, Tool.CODEX, ".codex", account)
    assert list(config.iterdir()) == []


@needs_root
def test_an_account_the_launcher_refuses_gets_nothing(
    tmp_path: Path, account: LinuxAccount
) -> None:
    store = FileCredentialStore(tmp_path / "instance", launcher_as_root(tmp_path, lambda _: False))
    store.save(15, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    with pytest.raises(CredentialsRefused, match=f"as {account.name}: .*{account.name}"):
        store.mirror(15, Tool.CODEX, ".codex", account)
    assert not (Path(account.home) / ".codex").exists()


def test_without_a_launcher_another_account_is_refused_in_one_line(
    tmp_path: Path, launcher: AccountLauncher
) -> None:
    alone = attrs.evolve(launcher, backend=None)
    stranger = LinuxAccount(
        name="stranger", uid=os.geteuid() + 1, gid=1, home=str(tmp_path / "stranger")
    )
    store = FileCredentialStore(tmp_path / "instance", alone)
    store.save(16, Tool.CODEX, {CODEX_AUTH: CODEX.encode()}, NOW)
    with pytest.raises(CredentialsRefused, match="without a launcher") as refused:
        store.mirror(16, Tool.CODEX, ".codex", stranger)
    assert "\n" not in refused.value.message
    assert not (tmp_path / "stranger").exists()
