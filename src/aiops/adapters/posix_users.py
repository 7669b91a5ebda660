"""Linux accounts from the password database."""

from __future__ import annotations

import pwd

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
