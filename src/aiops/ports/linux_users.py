"""The Linux accounts that own users' workspaces."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen
class LinuxAccount:
    name: str
    uid: int
    gid: int
    home: str
    shell: str = "/bin/sh"


class LinuxUsers(Protocol):
    def lookup(self, name: str) -> LinuxAccount | None:
        """The account of that name; None when there is none. Raises AccountRefused (saying
        why) for an account aiops never acts as: root, a system account (uid below UID_MIN),
        one on the deny list (AIOPS_LINUX_USER_DENY)."""
        ...
