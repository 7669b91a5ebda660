"""FilesystemKeyStore: private keys copied into `<instance>/keys/` (folder 0700, files 0600).

A source file is refused, as ssh would refuse it, when it is a symlink or not a regular file,
readable by group or others, or not an OpenSSH/PEM private key. Files are opened with
O_NOFOLLOW and checked on the open descriptor; the copy is written to a temporary file in the
store and renamed into place, so a stored key is never seen half written. The public key comes
from `<file>.pub` beside the key, checked against `ssh-keygen -y` when the key is not
encrypted; an encrypted key needs its .pub. Key material never reaches a log or a message.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

from aiops.adapters.errors import KeyStoreUnavailable
from aiops.domain.errors import NotFound
from aiops.domain.model.identities import KeyRefused, identity_name, parse_public_key
from aiops.ports.key_store import ImportedKey

PRIVATE_KEY_HEADERS = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----",
    b"-----BEGIN RSA PRIVATE KEY-----",
    b"-----BEGIN EC PRIVATE KEY-----",
)
MAX_KEY_BYTES = 64 * 1024
NOT_KEYS = {"known_hosts", "known_hosts.old", "authorized_keys", "authorized_keys2", "config"}
SSH_KEYGEN_TIMEOUT = 10


class FilesystemKeyStore:
    def __init__(self, keys_dir: Path, ssh_keygen: str = "ssh-keygen") -> None:
        self._dir = keys_dir
        self._ssh_keygen = ssh_keygen

    def private_keys_in(self, source_dir: Path) -> Sequence[Path]:
        try:
            entries = sorted(source_dir.iterdir())
        except OSError as error:
            raise NotFound(
                f"source folder {str(source_dir)!r} cannot be read ({error.strerror})"
            ) from None
        return [
            entry
            for entry in entries
            if not (entry.name.startswith(".") or entry.name.endswith(".pub"))
            and entry.name not in NOT_KEYS
            and not stat.S_ISDIR(entry.lstat().st_mode)
        ]

    def public_key_of(self, source: Path) -> str:
        content = _read_private_key(source)
        staged = self._stage(content)
        try:
            return self._public_key(source, staged)
        finally:
            staged.unlink()

    def import_private_key(self, name: str, source: Path) -> ImportedKey:
        name = identity_name(name)  # one plain path component, whoever calls
        content = _read_private_key(source)
        staged = self._stage(content)
        target = self._dir / name
        try:
            public_key = self._public_key(source, staged)
            os.replace(staged, target)  # atomic; replaces a symlink itself, never its target
        finally:
            staged.unlink(missing_ok=True)  # a no-op once renamed
        _fsync_dir(self._dir)
        return ImportedKey(path=target.absolute(), public_key=public_key)

    def _stage(self, content: bytes) -> Path:
        """The key written to a new 0600 file in the store (created 0700 if missing)."""
        self._ensure_dir()
        staged = self._dir / f".import-{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(staged, flags, 0o600)
        try:
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        return staged

    def _ensure_dir(self) -> None:
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(self._dir)
        if not stat.S_ISDIR(info.st_mode):
            raise KeyStoreUnavailable(
                f"the key store {str(self._dir)!r} is not a folder (or is a symlink)"
            )
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(self._dir, 0o700)

    def _public_key(self, source: Path, staged: Path) -> str:
        derived = self._derive(staged)
        beside = source.with_name(source.name + ".pub")
        if not os.path.lexists(beside):
            if derived is None:
                raise KeyRefused(
                    f"encrypted (or unreadable by ssh-keygen) and no {beside.name} beside it: "
                    "add the .pub file"
                )
            return derived
        text = _read_small(beside)[0].decode("utf-8", "replace")
        parsed = parse_public_key(text, field=beside.name)
        if derived is not None and parse_public_key(derived).blob != parsed.blob:
            raise KeyRefused(f"{beside.name} is not the public key of this key")
        return parsed.line

    def _derive(self, staged: Path) -> str | None:
        """`ssh-keygen -y` of the staged copy; None when it cannot (an encrypted key)."""
        try:
            result = subprocess.run(  # an argv list: no shell
                [self._ssh_keygen, "-y", "-P", "", "-f", str(staged)],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=SSH_KEYGEN_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            return None
        if result.returncode != 0:
            return None
        return parse_public_key(result.stdout.decode("utf-8", "replace")).line


def _read_private_key(source: Path) -> bytes:
    content, mode = _read_small(source)
    if mode & 0o077:
        raise KeyRefused(
            f"permissions {mode:04o} for {source.name!r} are too open: "
            f"chmod 600 {source.name} (it must not be readable by group or others)"
        )
    first_line = content.lstrip().split(b"\n", 1)[0].strip()
    if first_line not in PRIVATE_KEY_HEADERS:
        raise KeyRefused("not an OpenSSH or PEM private key")
    return content


def _read_small(path: Path) -> tuple[bytes, int]:
    """A regular file's bytes and permission bits, never through a symlink; else KeyRefused."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise KeyRefused("no such file") from None
    if stat.S_ISLNK(info.st_mode):
        raise KeyRefused("a symbolic link: copy the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise KeyRefused("not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise KeyRefused(f"cannot open it ({error.strerror})") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            info.st_dev,
            info.st_ino,
        ):
            raise KeyRefused("changed while it was read")
        if opened.st_size > MAX_KEY_BYTES:
            raise KeyRefused(f"too large to be a key ({opened.st_size} bytes)")
        return os.read(fd, MAX_KEY_BYTES + 1), stat.S_IMODE(opened.st_mode)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
