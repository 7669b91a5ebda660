"""Recording a run as it goes: its events stored in batches, the runner's heartbeat, a cancel
asked from elsewhere, and its outcome. How (a flusher thread, locks) is the adapter's
business; what is stored is the domain's (domain/usecases/run_journal.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from aiops.domain.model.automation import RunEvent
from aiops.ports.automation import RunListener


class RunRecording(RunListener, Protocol):
    """The listener of one run, which the runner reports to from its own thread."""

    def wait(self, timeout: float | None = None) -> bool:
        """Until the outcome is stored (True), or the timeout passed (False)."""
        ...


class RunRecorders(Protocol):
    def open(
        self,
        run_id: int,
        *,
        secrets: Sequence[str] = (),
        on_event: Callable[[RunEvent], None] | None = None,
    ) -> RunRecording:
        """A recording of the stored run `run_id`: every event scrubbed of `secrets` and
        handed to `on_event` (as stored) before it is stored."""
        ...
