"""The hosts a tenant owner may point a project's git remote at."""

from __future__ import annotations

from typing import Protocol


class RemoteHosts(Protocol):
    def refusal(self, host: str) -> str | None:
        """Why a project's remote may not be on `host`, in one line: it does not resolve, or
        one of its addresses is link-local, cloud metadata or (unless
        AIOPS_GIT_ALLOW_PRIVATE_NETWORKS) loopback or private. None when every address it
        resolves to is allowed. An address literal resolves to itself."""
        ...
