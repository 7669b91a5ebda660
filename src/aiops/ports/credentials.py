"""CredentialStore: each user's credentials for an AI tool, kept by aiops (files 0600, folders
0700, aiops's own) and mirrored into the tool's config folder in the user's HOME, written there
as the user's Linux account. Never shown back: only when they were saved and a fingerprint."""

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
        `owner.home`, as `owner` (the folder 0700, the files 0600); False when nothing is
        stored. CredentialsRefused when `owner` may not write there, or the folder is not a
        real folder of theirs (a symlink planted in HOME)."""
        ...

    def secret(self, user_id: int, tool: Tool, name: str) -> str | None:
        """A stored file's text (the Claude key, exported to the session's environment only)."""
        ...
