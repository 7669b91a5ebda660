"""Credentials as files: kept under <instance>/<tool>/user-<id>/ and copied into the tool's
config folder in the user's HOME.

Every folder is 0700 and every file 0600, owned by the user's Linux account when aiops runs as
root. Files are written beside their final name and renamed over it, so a reader never sees
half a file. Paths are walked one folder at a time with O_NOFOLLOW, relative to the folder
already opened: a symlink the user plants in their HOME (~/.codex -> /etc) is refused, never
followed, even if it appears while we walk.
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

from aiops.domain.model.credentials import CredentialsRefused, fingerprint, kind_of
from aiops.domain.model.sessions import Tool
from aiops.ports.credentials import CredentialInfo
from aiops.ports.linux_users import LinuxAccount

META = "meta.json"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


class FileCredentialStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()

    def save(
        self,
        user_id: int,
        tool: Tool,
        files: Mapping[str, bytes],
        owner: LinuxAccount | None,
        saved_at: datetime,
    ) -> CredentialInfo:
        info = CredentialInfo(
            tool=tool,
            user_id=user_id,
            files=tuple(sorted(files)),
            saved_at=saved_at,
            fingerprint=fingerprint(files),
        )
        meta = {"saved_at": saved_at.isoformat(), "fingerprint": info.fingerprint}
        with self._lock, self._user_dir(user_id, tool, owner, create=True) as fd:
            for name, content in files.items():
                _write(fd, name, content, owner)
            for stale in set(kind_of(tool).names) - set(files):
                with suppress(FileNotFoundError):
                    os.unlink(stale, dir_fd=fd)
            _write(fd, META, json.dumps({**meta, "files": info.files}).encode(), owner)
        return info

    def info(self, user_id: int, tool: Tool) -> CredentialInfo | None:
        try:
            with self._user_dir(user_id, tool, None, create=False) as fd:
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
        with self._user_dir(user_id, tool, None, create=False) as source:
            contents = {name: _read(source, name) for name in wanted}
        if not contents:
            return True
        target = f"{owner.home}/{config_dir}"
        try:
            with _walk(Path(owner.home), config_dir.split("/"), owner) as fd:
                for name, content in contents.items():
                    _write(fd, name, content, owner)
        except OSError as error:
            raise CredentialsRefused(f"cannot write into {target}: {error.strerror}") from None
        return True

    def secret(self, user_id: int, tool: Tool, name: str) -> str | None:
        try:
            with self._user_dir(user_id, tool, None, create=False) as fd:
                return _read(fd, name).decode("utf-8")
        except FileNotFoundError:
            return None

    @contextmanager
    def _user_dir(
        self, user_id: int, tool: Tool, owner: LinuxAccount | None, *, create: bool
    ) -> Iterator[int]:
        """The folder of (user, tool), opened; the store's root is the operator's, trusted."""
        if create:
            self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
        root = os.open(self._root, _DIR)
        try:
            with (
                _opened(root, tool.value, None, create=create) as tool_fd,
                _opened(tool_fd, f"user-{user_id}", owner, create=create) as fd,
            ):
                yield fd
        finally:
            os.close(root)


@contextmanager
def _walk(home: Path, parts: list[str], owner: LinuxAccount) -> Iterator[int]:
    """The folder HOME/parts..., each step opened without following a symlink; the last one
    (the tool's config folder) is made 0700 and the account's."""
    try:
        fd = os.open(home, _DIR)
    except OSError as error:
        raise CredentialsRefused(f"cannot open {home}: {_why(error)}") from None
    try:
        where = home
        for i, part in enumerate(parts):
            where = where / part
            last = i == len(parts) - 1
            next_fd = _open_dir(fd, part, owner, where, create=True, secure=last)
            os.close(fd)
            fd = next_fd
        yield fd
    finally:
        os.close(fd)


@contextmanager
def _opened(parent: int, name: str, owner: LinuxAccount | None, *, create: bool) -> Iterator[int]:
    fd = _open_dir(parent, name, owner, Path(name), create=create, secure=create)
    try:
        yield fd
    finally:
        os.close(fd)


def _open_dir(
    parent: int, name: str, owner: LinuxAccount | None, where: Path, *, create: bool, secure: bool
) -> int:
    """Open (or make, 0700) the folder `name` in `parent`, refusing a symlink or a file."""
    try:
        fd = os.open(name, _DIR, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
        with suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=parent)
        return _open_dir(parent, name, owner, where, create=False, secure=True)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise CredentialsRefused(f"{where} is not a folder (a symlink?): refused") from None
        raise
    if secure:
        os.fchmod(fd, 0o700)
        _give(fd, owner)
    return fd


def _write(dir_fd: int, name: str, content: bytes, owner: LinuxAccount | None) -> None:
    """`name` in the folder, replaced in one rename: 0600 and the account's from the start."""
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temporary, _NEW_FILE, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(fd, 0o600)
            _give(fd, owner)
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


def _give(fd: int, owner: LinuxAccount | None) -> None:
    """Hand an open file or folder to the account (only root may; root's own stays root's)."""
    if owner is not None and owner.uid != 0 and os.geteuid() == 0:
        os.fchown(fd, owner.uid, owner.gid)


def _why(error: OSError) -> str:
    if error.errno in (errno.ELOOP, errno.ENOTDIR):
        return "not a folder (a symlink?): refused"
    return error.strerror or type(error).__name__
