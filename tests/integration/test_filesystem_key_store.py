"""FilesystemKeyStore on a temporary folder, with real keys from ssh-keygen: modes, symlinks,
permissions that are too open, files that are no private key, encrypted keys."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from aiops.adapters.filesystem_key_store import FilesystemKeyStore
from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model.identities import KeyRefused, fingerprint

pytestmark = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed"
)


def keygen(path: Path, *, passphrase: str = "", key_type: str = "ed25519") -> str:
    """A new key pair at `path` (and path.pub); returns the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-C", "test@aiops", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> FilesystemKeyStore:
    return FilesystemKeyStore(tmp_path / "instance" / "keys")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_key_is_copied_atomically_with_private_modes(
    store: FilesystemKeyStore, source: Path, tmp_path: Path
) -> None:
    public = keygen(source / "id_ed25519")

    imported = store.import_private_key("id_ed25519", source / "id_ed25519")

    keys = tmp_path / "instance" / "keys"
    assert imported.path == keys / "id_ed25519"
    assert imported.public_key == public
    assert imported.path.read_bytes() == (source / "id_ed25519").read_bytes()
    assert (mode(keys), mode(imported.path)) == (0o700, 0o600)
    assert sorted(p.name for p in keys.iterdir()) == ["id_ed25519"]  # no temporary file left


def test_without_a_pub_file_the_public_key_is_derived_with_ssh_keygen(
    store: FilesystemKeyStore, source: Path
) -> None:
    public = keygen(source / "deploy", key_type="ecdsa")
    (source / "deploy.pub").unlink()

    assert fingerprint(store.public_key_of(source / "deploy")) == fingerprint(public)


def test_an_encrypted_key_needs_its_pub_file(store: FilesystemKeyStore, source: Path) -> None:
    public = keygen(source / "locked", passphrase="correct horse battery")

    assert store.public_key_of(source / "locked") == public
    (source / "locked.pub").unlink()
    with pytest.raises(KeyRefused, match=r"encrypted .* add the \.pub file"):
        store.import_private_key("locked", source / "locked")


def test_a_pub_file_of_another_key_is_refused(store: FilesystemKeyStore, source: Path) -> None:
    keygen(source / "one")
    keygen(source / "two")
    os.replace(source / "two.pub", source / "one.pub")

    with pytest.raises(KeyRefused, match=r"one\.pub is not the public key of this key"):
        store.public_key_of(source / "one")


def test_a_symlink_is_refused_even_to_a_good_key(
    store: FilesystemKeyStore, source: Path, tmp_path: Path
) -> None:
    keygen(source / "real")
    (source / "link").symlink_to(source / "real")

    with pytest.raises(KeyRefused, match="symbolic link"):
        store.import_private_key("link", source / "link")
    assert not (tmp_path / "instance" / "keys" / "link").exists()


@pytest.mark.parametrize("too_open", [0o644, 0o640, 0o604, 0o660])
def test_permissions_that_are_too_open_are_refused_like_ssh_does(
    store: FilesystemKeyStore, source: Path, too_open: int
) -> None:
    keygen(source / "open")
    (source / "open").chmod(too_open)

    with pytest.raises(KeyRefused, match=f"permissions {too_open:04o} for 'open' are too open"):
        store.import_private_key("open", source / "open")


@pytest.mark.parametrize(
    "content",
    [
        b"just some notes\n",
        b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n",
        b"",
        b"\xff\xfe binary",
    ],
)
def test_files_that_are_no_openssh_or_pem_private_key_are_refused(
    store: FilesystemKeyStore, source: Path, content: bytes
) -> None:
    path = source / "notes"
    path.write_bytes(content)
    path.chmod(0o600)

    with pytest.raises(KeyRefused, match="not an OpenSSH or PEM private key"):
        store.public_key_of(path)


def test_a_fifo_is_refused_without_blocking(store: FilesystemKeyStore, source: Path) -> None:
    os.mkfifo(source / "pipe", 0o600)

    with pytest.raises(KeyRefused, match="not a regular file"):
        store.public_key_of(source / "pipe")


def test_a_bad_pub_file_is_a_validation_error(store: FilesystemKeyStore, source: Path) -> None:
    keygen(source / "k")
    (source / "k.pub").write_text("ssh-dss AAAAB3NzaC1kc3M= old\n")

    with pytest.raises(ValidationError, match=r"k\.pub: key type 'ssh-dss' is not accepted"):
        store.public_key_of(source / "k")


def test_the_candidates_are_the_files_ssh_keeps_keys_in(
    store: FilesystemKeyStore, source: Path
) -> None:
    keygen(source / "id_ed25519")
    for name in ("known_hosts", "config", "authorized_keys", ".hidden", "orphan.pub"):
        (source / name).write_text("x")
    (source / "sub").mkdir()
    (source / "link").symlink_to(source / "id_ed25519")

    assert [p.name for p in store.private_keys_in(source)] == ["id_ed25519", "link"]
    with pytest.raises(NotFound, match="cannot be read"):
        store.private_keys_in(source / "missing")


def test_a_name_that_is_no_plain_file_name_is_refused(
    store: FilesystemKeyStore, source: Path
) -> None:
    keygen(source / "k")

    with pytest.raises(ValidationError):
        store.import_private_key("../escape", source / "k")


def test_importing_again_replaces_the_stored_copy(store: FilesystemKeyStore, source: Path) -> None:
    keygen(source / "k")
    first = store.import_private_key("k", source / "k")
    (source / "k").unlink()
    (source / "k.pub").unlink()
    second_public = keygen(source / "k")

    second = store.import_private_key("k", source / "k")

    assert second.path == first.path
    assert second.public_key == second_public
    assert mode(second.path) == 0o600
