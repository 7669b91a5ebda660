"""Which Linux accounts aiops may ever act as: never root, never a system account (a uid below
UID_MIN of /etc/login.defs), never one on the deny list (AIOPS_LINUX_USER_DENY).

Standard library only: the launcher (the one process that stays root) imports it too.
"""

from __future__ import annotations

import pwd
import re
from collections.abc import Collection
from pathlib import Path

LOGIN_DEFS = Path("/etc/login.defs")
DEFAULT_UID_MIN = 1000
DEFAULT_DENY = frozenset({"nobody"})
_UID_MIN = re.compile(r"^\s*UID_MIN\s+(\d+)\s*(?:#.*)?$", re.MULTILINE)


def uid_min(login_defs: Path = LOGIN_DEFS) -> int:
    """UID_MIN from login.defs (the first uid useradd gives a person); 1000 when it is not
    there or not a number."""
    try:
        text = login_defs.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return DEFAULT_UID_MIN
    found = _UID_MIN.search(text)
    return int(found.group(1)) if found else DEFAULT_UID_MIN


def refusal(
    name: str, uid: int, *, minimum: int, deny: Collection[str] = DEFAULT_DENY
) -> str | None:
    """Why aiops may not act as this account, in one line; None when it may."""
    if uid == 0:
        return f"{name} is root (uid 0): aiops never acts as root"
    if name in deny:
        return f"{name} is on the deny list (AIOPS_LINUX_USER_DENY)"
    if uid < minimum:
        return f"{name} is a system account (uid {uid} < UID_MIN {minimum})"
    return None


def account_refusal(
    name: str, *, minimum: int, deny: Collection[str] = DEFAULT_DENY
) -> tuple[pwd.struct_passwd | None, str | None]:
    """The password entry of `name` and why it is refused (None: allowed); (None, why) when
    there is no such account."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None, f"the Linux account {name!r} does not exist"
    return entry, refusal(name, entry.pw_uid, minimum=minimum, deny=deny)
