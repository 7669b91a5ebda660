"""A fake of the run recorders (ports/run_recording.py): the same RunJournal as the threaded
adapter, without its flusher thread: a batch is stored when full and at the end, and the test
beats for the runner with `recording.beat()`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiops.domain.model.automation import RunEvent
from aiops.domain.usecases.run_journal import RunJournal
from aiops.ports.automation import RunOutcome
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWorkFactory


class FakeRunRecorders:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        batch_size: int = 3,
        lost_after_seconds: float = 120.0,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.batch_size = batch_size
        self.lost_after_seconds = lost_after_seconds
        self.recordings: dict[int, FakeRunRecording] = {}

    def open(
        self,
        run_id: int,
        *,
        secrets: Sequence[str] = (),
        on_event: Callable[[RunEvent], None] | None = None,
    ) -> FakeRunRecording:
        journal = RunJournal(
            uow=self.uow,
            clock=self.clock,
            run_id=run_id,
            secrets=secrets,
            heartbeat_seconds=self.lost_after_seconds / 4,
            cancel_poll_seconds=0,  # every question reaches the fake database
        )
        recording = FakeRunRecording(journal, self.batch_size, on_event)
        self.recordings[run_id] = recording
        return recording


class FakeRunRecording:
    def __init__(
        self,
        journal: RunJournal,
        batch_size: int,
        on_event: Callable[[RunEvent], None] | None,
    ) -> None:
        self._journal = journal
        self._batch_size = batch_size
        self._on_event = on_event
        self.pending: list[RunEvent] = []
        self.outcome: RunOutcome | None = None

    def started(self) -> None:
        self._journal.started()

    def event(self, event: RunEvent) -> None:
        event = self._journal.scrubbed(event)
        if self._on_event is not None:
            self._on_event(event)
        self.pending.append(event)
        if len(self.pending) >= self._batch_size:
            self._flush()

    def cancel_requested(self) -> bool:
        return self._journal.cancel_requested()

    def finished(self, outcome: RunOutcome) -> None:
        self._flush()
        self._journal.finish(outcome)
        self.outcome = outcome

    def wait(self, timeout: float | None = None) -> bool:
        return self.outcome is not None

    def beat(self) -> bool:
        return self._journal.beat()

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        self._journal.store(batch)
