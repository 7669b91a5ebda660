"""Automation: the playbooks and inventories on offer, running one playbook in the background,
and where runs and their events are kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from aiops.domain.model.automation import (
    AutomationRun,
    HostSummary,
    JsonValue,
    Playbook,
    RunEvent,
    RunStatus,
)


class PlaybookCatalogue(Protocol):
    def playbooks(self) -> Sequence[Playbook]:
        """The playbooks present in the playbooks folder, by name, with their descriptions."""
        ...

    def inventories(self) -> Sequence[str]:
        """The inventory names present in the inventory folder."""
        ...


@attrs.frozen(kw_only=True)
class PlaybookLaunch:
    """What the runner needs to start one run. `extra_vars` holds the real values (secret ones
    included): the runner passes them in a file, never on a command line."""

    run_id: int
    playbook: str  # a validated, allowlisted name
    inventory: str  # a validated name present in the catalogue
    limit: str | None = None
    tags: str | None = None
    check: bool = False
    extra_vars: Mapping[str, JsonValue] = attrs.field(factory=dict, repr=False)
    private_key_path: str | None = None  # an SSH identity's key file
    timeout_seconds: int = 3600


@attrs.frozen(kw_only=True)
class RunOutcome:
    status: RunStatus
    rc: int | None
    summary: Sequence[HostSummary] = ()


class RunListener(Protocol):
    """What a runner reports to, from its own thread."""

    def started(self) -> None: ...

    def event(self, event: RunEvent) -> None:
        """One event, in order (seq from the runner's counter)."""
        ...

    def cancel_requested(self) -> bool:
        """Asked often while the run goes on: True stops it."""
        ...

    def finished(self, outcome: RunOutcome) -> None: ...


class PlaybookRunner(Protocol):
    def start(self, launch: PlaybookLaunch, listener: RunListener) -> None:
        """Start the run in the background and return at once; the listener hears the rest."""
        ...

    def cancel(self, run_id: int) -> bool:
        """Stop a run this runner is running (False: it is not running here)."""
        ...

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        """Wait until the run has finished here (True), or the timeout passed (False)."""
        ...

    def running(self) -> Sequence[int]:
        """The runs this process runs now."""
        ...


class AutomationRunRepository(Protocol):
    def add(self, run: AutomationRun) -> AutomationRun: ...
    def update(self, run: AutomationRun) -> AutomationRun: ...
    def update_unfinished(self, run: AutomationRun) -> bool:
        """Update the run only while the stored one is still queued or running (False: it
        has finished meanwhile, or does not exist)."""
        ...

    def heartbeat(self, run_id: int, at: datetime) -> bool:
        """Its runner is alive at `at` (runner_seen_at), only while the run is unfinished
        (False: it has finished, or does not exist)."""
        ...

    def unfinished(self) -> Sequence[AutomationRun]:
        """The runs still queued or running, oldest first."""
        ...

    def get(self, run_id: int) -> AutomationRun | None: ...
    def list(self, limit: int = 50) -> Sequence[AutomationRun]:
        """Newest first."""
        ...

    def add_events(self, events: Sequence[RunEvent]) -> None:
        """Store a batch of events in one statement."""
        ...

    def events(self, run_id: int, after_seq: int = 0, limit: int = 1000) -> Sequence[RunEvent]:
        """A run's events with seq > after_seq, in order, at most `limit`."""
        ...
