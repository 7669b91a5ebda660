"""The last known state of each user's workspaces, for pages that must not wait on git."""

from __future__ import annotations

from typing import Protocol

from aiops.domain.model.workspaces import WorkspaceSnapshot


class WorkspaceSnapshots(Protocol):
    def get(self, user_id: int, project_id: int) -> WorkspaceSnapshot | None: ...

    def put(self, user_id: int, project_id: int, snapshot: WorkspaceSnapshot) -> None: ...

    def version(self) -> int:
        """Grows with every put that changes more than `checked_at`: a page built from
        snapshots is current while the version is unchanged."""
        ...
