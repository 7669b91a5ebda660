"""Workspace snapshots in this process's memory (each web worker keeps its own)."""

from __future__ import annotations

import threading

import attrs

from aiops.domain.model.workspaces import WorkspaceSnapshot


class InMemoryWorkspaceSnapshots:
    def __init__(self) -> None:
        self._snapshots: dict[tuple[int, int], WorkspaceSnapshot] = {}
        self._version = 0
        self._lock = threading.Lock()

    def get(self, user_id: int, project_id: int) -> WorkspaceSnapshot | None:
        return self._snapshots.get((user_id, project_id))

    def put(self, user_id: int, project_id: int, snapshot: WorkspaceSnapshot) -> None:
        with self._lock:
            before = self._snapshots.get((user_id, project_id))
            self._snapshots[(user_id, project_id)] = snapshot
            # A refresh that finds nothing new keeps the version: cached pages stay valid.
            if before is None or attrs.evolve(before, checked_at=snapshot.checked_at) != snapshot:
                self._version += 1

    def version(self) -> int:
        return self._version
