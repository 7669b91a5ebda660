"""File work done by whoever runs it: in the launcher's child, after the switch to the account
(so the kernel checks every path as that account), or by aiops itself for its own account.

Each act returns a JSON-able dict; an OSError goes up to the caller, which reports it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def write_file(path: str, data: bytes, mode: int, *, exclusive: bool) -> dict[str, Any]:
    """`exclusive`: a new file, refused when anything is at `path` (a symlink too). Otherwise
    the file is written beside `path` and renamed over it, so a reader never sees half of it;
    an existing file keeps its mode."""
    if exclusive:
        _write_new(path, data, mode)
        return {}
    target = Path(path)
    with contextlib.suppress(FileNotFoundError):
        info = target.lstat()
        if stat.S_ISREG(info.st_mode):
            mode = stat.S_IMODE(info.st_mode)
    temporary = str(target.with_name(f".{target.name}.{os.urandom(6).hex()}.tmp"))
    try:
        _write_new(temporary, data, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return {}


def _write_new(path: str, data: bytes, mode: int) -> None:
    fd = os.open(path, _NEW, 0o600)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(path: str, limit: int) -> dict[str, Any]:
    """The file's bytes (a symlink is refused), or `missing` when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return {"missing": True}
    with os.fdopen(fd, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(27, f"larger than {limit} bytes")  # EFBIG
    return {"data": data}


def make_dir(path: str, mode: int, *, parents: bool) -> dict[str, Any]:
    """The folder at `path`, made with `mode` when missing (and its parents, with the same
    mode, when asked). It must end as a real folder of this account's, at `mode`."""
    created = False
    try:
        os.mkdir(path, mode)
        created = True
    except FileNotFoundError:
        if not parents:
            raise
        make_dir(str(Path(path).parent), mode, parents=True)
        return make_dir(path, mode, parents=False)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(20, "not a folder (a symlink?)")
    if info.st_uid != os.geteuid():
        raise PermissionError(1, f"the folder belongs to uid {info.st_uid}")
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)
    return {"created": created}


def inspect(path: str) -> dict[str, Any]:
    """What is at `path` and at its parent, without following a symlink at either."""
    return {"path": _describe(path), "parent": _describe(str(Path(path).parent))}


def _describe(path: str) -> dict[str, Any] | None:
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    kinds = {stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "link"}
    return {
        "kind": kinds.get(stat.S_IFMT(info.st_mode), "other"),
        "uid": info.st_uid,
        "mode": stat.S_IMODE(info.st_mode),
    }
