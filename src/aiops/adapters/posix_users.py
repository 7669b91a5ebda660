"""Linux accounts from the password database."""

from __future__ import annotations

from collections.abc import Collection

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
