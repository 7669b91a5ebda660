"""CredentialStore: each user's credentials for an AI tool, kept by aiops and mirrored into the
tool's config folder in the user's HOME. Files 0600, folders 0700, owned by the user's Linux
account; never shown back, only when they were saved and a fingerprint."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from aiops.domain.model.sessions import Tool
from aiops.ports.linux_users import LinuxAccount


@attrs.frozen(kw_only=True)
class CredentialInfo:
    tool: Tool
    user_id: int
    files: tuple[str, ...]  # the stored file names (e.g. auth.json), never their content
    saved_at: datetime
    fingerprint: str  # a short digest, to tell two saves apart


class CredentialStore(Protocol):
    def save(
        self,
        user_id: int,
        tool: Tool,
        files: Mapping[str, bytes],
        owner: LinuxAccount | None,
        saved_at: datetime,
    ) -> CredentialInfo:
        """Replace what is stored for (user, tool) with `files` (already validated)."""
        ...

    def info(self, user_id: int, tool: Tool) -> CredentialInfo | None: ...

    def mirror(
        self,
        user_id: int,
        tool: Tool,
        config_dir: str,
        owner: LinuxAccount,
        names: Collection[str] | None = None,
    ) -> bool:
        """Copy the stored files (those in `names`, or all) into `config_dir`, a folder under
        `owner.home` (created 0700), owned by `owner`; False when nothing is stored. Refuses
        (CredentialsRefused) a symlink on the way: the user controls their HOME."""
        ...

    def secret(self, user_id: int, tool: Tool, name: str) -> str | None:
        """A stored file's text (the Claude key, exported to the session's environment only)."""
        ...
