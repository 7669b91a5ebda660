"""Credentials as files: aiops's own store under <instance>/<tool>/user-<id>/, and copies of
them in the tool's config folder in the user's HOME.

The store is the account aiops runs as (the service account): folders 0700, files 0600,
nobody else's. It is walked one folder at a time with O_NOFOLLOW, relative to the folder
already opened, so a link found inside it is refused, never followed.

The copies in HOME are written as the user's own account, through the launcher: the config
folder made (or checked) a real folder of theirs at 0700, each file replaced in one rename at
0600. The kernel checks every step as that account, so a symlink planted in HOME
(~/.codex -> /etc) leads only where the account could write anyway; nothing is chowned.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from aiops.adapters.launching import AccountLauncher, ActFailed, LauncherUnavailable
from aiops.domain.errors import AccountRefused
from aiops.domain.model.credentials import CredentialsRefused, fingerprint, kind_of
from aiops.domain.model.sessions import Tool
from aiops.ports.credentials import CredentialInfo
from aiops.ports.linux_users import LinuxAccount

META = "meta.json"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


class FileCredentialStore:
    def __init__(self, root: Path, launcher: AccountLauncher) -> None:
        self._root = root
        self._launcher = launcher
        self._lock = threading.Lock()

    def save(
        self, user_id: int, tool: Tool, files: Mapping[str, bytes], saved_at: datetime
    ) -> CredentialInfo:
        info = CredentialInfo(
            tool=tool,
            user_id=user_id,
            files=tuple(sorted(files)),
            saved_at=saved_at,
            fingerprint=fingerprint(files),
        )
        meta = {"saved_at": saved_at.isoformat(), "fingerprint": info.fingerprint}
        with self._lock, self._user_dir(user_id, tool, create=True) as fd:
            for name, content in files.items():
                _write(fd, name, content)
            for stale in set(kind_of(tool).names) - set(files):
                with suppress(FileNotFoundError):
                    os.unlink(stale, dir_fd=fd)
            _write(fd, META, json.dumps({**meta, "files": info.files}).encode())
        return info

    def info(self, user_id: int, tool: Tool) -> CredentialInfo | None:
        try:
            with self._user_dir(user_id, tool, create=False) as fd:
                meta = json.loads(_read(fd, META))
        except FileNotFoundError:
            return None
        except ValueError:
            raise CredentialsRefused(
                f"the stored {tool.value} credentials of user {user_id} are damaged: "
                "save them again"
            ) from None
        return CredentialInfo(
            tool=tool,
            user_id=user_id,
            files=tuple(meta["files"]),
            saved_at=datetime.fromisoformat(meta["saved_at"]),
            fingerprint=meta["fingerprint"],
        )

    def mirror(
        self,
        user_id: int,
        tool: Tool,
        config_dir: str,
        owner: LinuxAccount,
        names: Collection[str] | None = None,
    ) -> bool:
        info = self.info(user_id, tool)
        if info is None:
            return False
        wanted = [n for n in info.files if names is None or n in names]
        with self._user_dir(user_id, tool, create=False) as source:
            contents = {name: _read(source, name) for name in wanted}
        if not contents:
            return True
        folder = f"{owner.home.rstrip('/')}/{config_dir}"
        try:
            self._launcher.make_dir(owner, folder, mode=0o700, parents=True)
            for name, content in contents.items():
                self._launcher.write_file(owner, f"{folder}/{name}", content, mode=0o600)
        except (ActFailed, AccountRefused, LauncherUnavailable) as error:
            raise CredentialsRefused(
                f"cannot write into {folder} as {owner.name}: {error.message}"
            ) from None
        return True

    def secret(self, user_id: int, tool: Tool, name: str) -> str | None:
        try:
            with self._user_dir(user_id, tool, create=False) as fd:
                return _read(fd, name).decode("utf-8")
        except FileNotFoundError:
            return None

    @contextmanager
    def _user_dir(self, user_id: int, tool: Tool, *, create: bool) -> Iterator[int]:
        """The folder of (user, tool), opened; the store's root is the operator's, trusted."""
        if create:
            self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
        root = os.open(self._root, _DIR)
        try:
            with (
                _opened(root, tool.value, create=create) as tool_fd,
                _opened(tool_fd, f"user-{user_id}", create=create) as fd,
            ):
                yield fd
        finally:
            os.close(root)


@contextmanager
def _opened(parent: int, name: str, *, create: bool) -> Iterator[int]:
    fd = _open_dir(parent, name, create=create)
    try:
        yield fd
    finally:
        os.close(fd)


def _open_dir(parent: int, name: str, *, create: bool) -> int:
    """Open (or make, 0700) the folder `name` in `parent`, refusing a symlink or a file; one
    the store keeps writing into is closed to 0700."""
    try:
        fd = os.open(name, _DIR, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
        with suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent)
        return _open_dir(parent, name, create=False)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise CredentialsRefused(f"{name} is not a folder (a symlink?): refused") from None
        if error.errno == errno.EACCES:
            raise CredentialsRefused(_not_ours(name)) from None
        raise
    if create:
        try:
            os.fchmod(fd, 0o700)
        except PermissionError:
            os.close(fd)
            raise CredentialsRefused(_not_ours(name)) from None
    return fd


def _not_ours(name: str) -> str:
    """A folder an aiops from before the launcher (running as root) gave to a user's account."""
    return (
        f"the credential store's folder {name} is not aiops's: give the instance folder back "
        "to the account aiops runs as (chown -R)"
    )


def _write(dir_fd: int, name: str, content: bytes) -> None:
    """`name` in the folder, replaced in one rename: 0600 from the start."""
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, _NEW_FILE, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(fd, 0o600)
            file.write(content)
            file.flush()
            os.fsync(fd)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise


def _read(dir_fd: int, name: str) -> bytes:
    try:
        fd = os.open(name, _READ, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise CredentialsRefused(f"{name} is a symlink: refused") from None
        raise
    with os.fdopen(fd, "rb") as file:
        return file.read()
