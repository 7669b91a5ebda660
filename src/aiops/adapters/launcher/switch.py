"""Becoming an account: who may be become, and the switch itself (in a forked child only).

The switch sets the supplementary groups, then the real, effective and saved gid, then the
uid, and proves that setuid(0) now fails before anything of the account's runs; from then
on the kernel, not our checks, decides what the child may touch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection

import attrs

from aiops.adapters.launcher.protocol import Refused
from aiops.adapters.system_accounts import account_refusal

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


@attrs.frozen
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str
    groups: tuple[int, ...]

    def environment(self, extra: dict[str, str]) -> dict[str, str]:
        """A clean environment: defaults the caller may override, then the account's identity,
        which it may not."""
        base = {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"}
        identity = {"HOME": self.home, "USER": self.name, "LOGNAME": self.name}
        return base | extra | identity | {"SHELL": self.shell}


@attrs.frozen
class AccountRules:
    """Who the launcher may become: a person's account (uid >= UID_MIN, not root, not denied)
    that an aiops user is mapped to."""

    minimum: int
    deny: Collection[str]
    mapped: Callable[[str], bool]

    def resolve(self, name: str) -> Account:
        entry, why = account_refusal(name, minimum=self.minimum, deny=self.deny)
        if entry is None or why is not None:
            raise Refused("account_refused", why or f"{name} is refused")
        if not self.mapped(name):
            raise Refused("account_refused", f"{name} is not the account of any aiops user")
        groups = os.getgrouplist(name, entry.pw_gid)
        shell = entry.pw_shell or "/bin/sh"
        return Account(name, entry.pw_uid, entry.pw_gid, entry.pw_dir, shell, tuple(groups))


def become(account: Account) -> None:
    """Switch this (forked) process to `account` for good; raises if root could come back."""
    os.setgroups(list(account.groups))
    os.setresgid(account.gid, account.gid, account.gid)
    os.setresuid(account.uid, account.uid, account.uid)
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise RuntimeError("the switch did not hold: setuid(0) succeeded")
