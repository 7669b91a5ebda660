"""Clones and fetches under way, as their use cases report them: what a page, the API or the
CLI shows while git works, and where a cancel request waits for the transfer to notice it.

Keyed by (user id, project id): one transfer at a time per workspace (the workspace lock)."""

from __future__ import annotations

from typing import Protocol

from aiops.domain.model.workspaces import TransferProgress


class TransferProgressBoard(Protocol):
    def start(self, user_id: int, project_id: int, progress: TransferProgress) -> None:
        """A transfer begins (a cancel request left from an earlier one is forgotten)."""
        ...

    def publish(self, user_id: int, project_id: int, progress: TransferProgress) -> None:
        """Its latest step (ignored once it has ended)."""
        ...

    def get(self, user_id: int, project_id: int) -> TransferProgress | None:
        """The latest step of the transfer under way; None when none runs."""
        ...

    def cancel(self, user_id: int, project_id: int) -> bool:
        """Ask the transfer under way to stop; False when none runs."""
        ...

    def cancelled(self, user_id: int, project_id: int) -> bool:
        """Whether a stop was asked for the transfer under way."""
        ...

    def finish(self, user_id: int, project_id: int) -> None:
        """The transfer ended (done, failed or cancelled): nothing runs any more."""
        ...
