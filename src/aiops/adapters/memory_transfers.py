"""The transfers (clones, fetches) under way in this process, in memory: what the pages, the
API and the CLI show while git works, and the cancel requests the transfers poll. Each process
keeps its own (like the workspace snapshots): a transfer is seen and cancelled through the
process that runs it."""

from __future__ import annotations

import threading

import attrs

from aiops.domain.model.workspaces import TransferProgress


@attrs.define
class _Entry:
    progress: TransferProgress
    cancel: bool = False


class InMemoryTransferProgressBoard:
    """Safe to share between threads: the transfer's thread publishes, the request threads
    read and cancel."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, int], _Entry] = {}
        self._lock = threading.Lock()

    def start(self, user_id: int, project_id: int, progress: TransferProgress) -> None:
        with self._lock:
            self._entries[(user_id, project_id)] = _Entry(progress)

    def publish(self, user_id: int, project_id: int, progress: TransferProgress) -> None:
        with self._lock:
            entry = self._entries.get((user_id, project_id))
            if entry is not None:
                entry.progress = progress

    def get(self, user_id: int, project_id: int) -> TransferProgress | None:
        with self._lock:
            entry = self._entries.get((user_id, project_id))
            return None if entry is None else entry.progress

    def cancel(self, user_id: int, project_id: int) -> bool:
        with self._lock:
            entry = self._entries.get((user_id, project_id))
            if entry is None:
                return False
            entry.cancel = True
            return True

    def cancelled(self, user_id: int, project_id: int) -> bool:
        with self._lock:
            entry = self._entries.get((user_id, project_id))
            return entry is not None and entry.cancel

    def finish(self, user_id: int, project_id: int) -> None:
        with self._lock:
            self._entries.pop((user_id, project_id), None)
