"""Handing the instance folder to the service account, done by root before it gives up root.

It lives beside the launcher, the other code that runs as root, and is held to the same rule:
every branch tested (make test-launcher).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from aiops.adapters.launcher.protocol import Refused


def take_over(instance: Path, *, uid: int, gid: int, name: str) -> None:
    """The instance folder, 0700 and the service's (`uid`, `gid`). Only a folder root owns is
    walked; one that is the service's already is left as it is; anyone else's is refused, as
    is a symlink. Root's entries are handed over; so is everything else when the folder is
    private (0700: nobody but root could enter it, so nothing in it was planted; earlier
    versions gave users' credential folders to their accounts). Symlinks are never followed."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = instance.lstat()
    if info.st_uid == uid:
        return
    if info.st_uid != 0 or stat.S_ISLNK(info.st_mode):
        raise Refused("instance_refused", f"{instance} belongs to uid {info.st_uid}, not to {name}")
    private = stat.S_IMODE(info.st_mode) & 0o077 == 0
    for folder, dirs, files in os.walk(instance, followlinks=False):
        for entry in (*dirs, *files):
            path = Path(folder) / entry
            owner = path.lstat().st_uid
            if owner == 0 or (private and owner != uid):
                os.lchown(path, uid, gid)
    os.chown(instance, uid, gid)
    os.chmod(instance, 0o700)
