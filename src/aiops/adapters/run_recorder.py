"""ThreadedRunRecorders: each run's events stored in batches by a flusher thread (at most
`batch_size` per statement, none waiting longer than `flush_seconds`), which also beats for
the runner while the run goes on. What is stored is the RunJournal's decision
(domain/usecases/run_journal.py); the threads and locks are this module's."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from aiops.domain.model.automation import RunEvent
from aiops.domain.usecases.run_journal import RunJournal
from aiops.ports.automation import RunOutcome
from aiops.ports.clock import Clock
from aiops.ports.notifications import NoticeSink
from aiops.ports.unit_of_work import UnitOfWorkFactory


class ThreadedRunRecorders:
    """One ThreadedRunRecording per run. `lost_after_seconds`: a runner silent this long is
    taken for dead by other hosts (lost_runs), so a live one beats every quarter of it."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        batch_size: int = 500,
        flush_seconds: float = 0.2,
        cancel_poll_seconds: float = 1.0,
        lost_after_seconds: float = 120.0,
        notices: NoticeSink | None = None,
    ) -> None:
        self._notices = notices
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._cancel_poll_seconds = cancel_poll_seconds
        self._heartbeat_seconds = lost_after_seconds / 4

    def open(
        self,
        run_id: int,
        *,
        secrets: Sequence[str] = (),
        on_event: Callable[[RunEvent], None] | None = None,
    ) -> ThreadedRunRecording:
        journal = RunJournal(
            uow=self._uow,
            clock=self._clock,
            run_id=run_id,
            secrets=secrets,
            heartbeat_seconds=self._heartbeat_seconds,
            cancel_poll_seconds=self._cancel_poll_seconds,
            notices=self._notices,
        )
        return ThreadedRunRecording(
            journal,
            batch_size=self._batch_size,
            flush_seconds=self._flush_seconds,
            on_event=on_event,
        )


class ThreadedRunRecording:
    """The listener of one run: the runner's thread adds events, the flusher stores them."""

    def __init__(
        self,
        journal: RunJournal,
        *,
        batch_size: int,
        flush_seconds: float,
        on_event: Callable[[RunEvent], None] | None = None,
    ) -> None:
        self._journal = journal
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._on_event = on_event
        self._pending: list[RunEvent] = []
        self._lock = threading.Lock()  # the pending list
        self._store = threading.Lock()  # one batch at a time, in order
        self._done = threading.Event()
        self._finished = threading.Event()
        self._flusher = threading.Thread(
            target=self._flush_often, name=f"run-{journal.run_id}-events", daemon=True
        )
        self._flusher.start()

    def started(self) -> None:
        self._journal.started()

    def event(self, event: RunEvent) -> None:
        event = self._journal.scrubbed(event)
        if self._on_event is not None:
            self._on_event(event)
        with self._lock:
            self._pending.append(event)
            full = len(self._pending) >= self._batch_size
        if full:
            self.flush()

    def cancel_requested(self) -> bool:
        return self._journal.cancel_requested()

    def finished(self, outcome: RunOutcome) -> None:
        try:
            self._done.set()
            self.flush()
            self._journal.finish(outcome)
        finally:
            self._finished.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def flush(self) -> None:
        with self._store:
            with self._lock:
                batch, self._pending = self._pending, []
            self._journal.store(batch)

    def _flush_often(self) -> None:
        while not self._done.wait(self._flush_seconds):
            self.flush()
            self._journal.beat()
