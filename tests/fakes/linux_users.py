"""A fake of the Linux accounts port (ports/linux_users.py)."""

from __future__ import annotations

from collections.abc import Collection

from aiops.adapters import system_accounts
from aiops.domain.errors import (
    AccountRefused,
)
from aiops.ports.linux_users import LinuxAccount


class FakeLinuxUsers:
    """Accounts by name (people from uid 1000; `add` any other, root or a system account);
    refused by the same rules as PosixLinuxUsers."""

    def __init__(
        self, *names: str, minimum: int = 1000, deny: Collection[str] = ("nobody",)
    ) -> None:
        self.accounts: dict[str, LinuxAccount] = {}
        self.minimum = minimum
        self.deny = frozenset(deny)
        for i, name in enumerate(names):
            self.add(name, 1000 + i)

    def add(self, name: str, uid: int) -> LinuxAccount:
        account = LinuxAccount(name=name, uid=uid, gid=uid, home=f"/home/{name}")
        self.accounts[name] = account
        return account

    def lookup(self, name: str) -> LinuxAccount | None:
        account = self.accounts.get(name)
        why = account and system_accounts.refusal(
            name, account.uid, minimum=self.minimum, deny=self.deny
        )
        if why:
            raise AccountRefused(why)
        return account
