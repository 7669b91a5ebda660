"""Linux accounts from the password database; ownership changed with lchown."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from aiops.adapters.system_accounts import DEFAULT_DENY, account_refusal, uid_min
from aiops.domain.errors import AccountRefused
from aiops.ports.linux_users import LinuxAccount


class PosixLinuxUsers:
    """`deny`: account names never acted as (AIOPS_LINUX_USER_DENY); `minimum`: the lowest uid
    of a person's account (UID_MIN, read from /etc/login.defs once, here, by default)."""

    def __init__(self, *, deny: Collection[str] = DEFAULT_DENY, minimum: int | None = None) -> None:
        self.deny = frozenset(deny)
        self.minimum = uid_min() if minimum is None else minimum

    def lookup(self, name: str) -> LinuxAccount | None:
        entry, why = account_refusal(name, minimum=self.minimum, deny=self.deny)
        if entry is None:
            return None
        if why is not None:
            raise AccountRefused(why)
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
