"""Linux accounts from the password database; ownership changed with lchown."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from aiops.ports.linux_users import LinuxAccount


class PosixLinuxUsers:
    def lookup(self, name: str) -> LinuxAccount | None:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            return None
        if entry.pw_uid == 0:
            return None
        return LinuxAccount(
            name=name,
            uid=entry.pw_uid,
            gid=entry.pw_gid,
            home=entry.pw_dir,
            shell=entry.pw_shell or "/bin/sh",
        )

    def hand_over(self, path: Path, account: LinuxAccount, *, recursive: bool = True) -> None:
        if os.geteuid() != 0 or account.uid == 0:
            return
        _own(path, account)
        if not recursive:
            return
        for folder, dirs, files in os.walk(path, followlinks=False):
            for name in (*dirs, *files):
                _own(Path(folder) / name, account)


def _own(path: Path, account: LinuxAccount) -> None:
    info = path.lstat()
    if (info.st_uid, info.st_gid) != (account.uid, account.gid):
        os.lchown(path, account.uid, account.gid)
