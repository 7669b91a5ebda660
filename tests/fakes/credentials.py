"""A fake of the AI CLI credential store (ports/credentials.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from aiops.domain.model.credentials import CredentialsRefused, fingerprint
from aiops.domain.model.sessions import Tool
from aiops.ports.credentials import CredentialInfo
from aiops.ports.linux_users import LinuxAccount


class FakeCredentialStore:
    """Credentials by (user, tool); `homes` records what each mirror wrote, by path, and
    `refuse` makes mirroring fail as the real store does on a planted symlink."""

    def __init__(self) -> None:
        self.stored: dict[tuple[int, Tool], tuple[dict[str, bytes], CredentialInfo]] = {}
        self.homes: dict[str, bytes] = {}
        self.written_as: dict[str, str] = {}  # path in a HOME -> the account that wrote it
        self.refuse: str | None = None

    def save(
        self,
        user_id: int,
        tool: Tool,
        files: Mapping[str, bytes],
        saved_at: datetime,
    ) -> CredentialInfo:
        info = CredentialInfo(
            tool=tool,
            user_id=user_id,
            files=tuple(sorted(files)),
            saved_at=saved_at,
            fingerprint=fingerprint(files),
        )
        self.stored[user_id, tool] = (dict(files), info)
        return info

    def info(self, user_id: int, tool: Tool) -> CredentialInfo | None:
        found = self.stored.get((user_id, tool))
        return found[1] if found else None

    def mirror(
        self,
        user_id: int,
        tool: Tool,
        config_dir: str,
        owner: LinuxAccount,
        names: Collection[str] | None = None,
    ) -> bool:
        found = self.stored.get((user_id, tool))
        if found is None:
            return False
        if self.refuse:
            raise CredentialsRefused(self.refuse)
        for name, content in found[0].items():
            if names is None or name in names:
                self.homes[f"{owner.home}/{config_dir}/{name}"] = content
                self.written_as[f"{owner.home}/{config_dir}/{name}"] = owner.name
        return True

    def secret(self, user_id: int, tool: Tool, name: str) -> str | None:
        found = self.stored.get((user_id, tool))
        content = found[0].get(name) if found else None
        return content.decode() if content is not None else None
