"""SqlAutomationRunRepository: Ansible runs and their events (stored in batches)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Connection, Row, insert, select, update

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.repositories import (
    MAX_ID,
    _conflict_on_integrity_error,
    _new_id,
)
from aiops.domain.errors import NotFound
from aiops.domain.model.automation import AutomationRun, HostSummary, RunEvent, RunStatus

UNFINISHED = [status.value for status in RunStatus if not status.finished]


def run_from_row(row: Row[Any]) -> AutomationRun:
    return AutomationRun(
        id=row.id,
        playbook=row.playbook,
        inventory=row.inventory,
        limit=row.host_limit,
        tags=row.tags,
        check=row.check_mode,
        extra_vars=row.extra_vars,
        identity=row.identity,
        status=RunStatus(row.status),
        rc=row.rc,
        started_by=row.started_by,
        queued_at=row.queued_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        summary=tuple(HostSummary(**host) for host in row.summary),
        cancel_requested=row.cancel_requested,
        runner=row.runner,
        runner_seen_at=row.runner_seen_at,
        reason=row.reason,
    )


def _row(run: AutomationRun) -> dict[str, Any]:
    return {
        "playbook": run.playbook,
        "inventory": run.inventory,
        "host_limit": run.limit,
        "tags": run.tags,
        "check_mode": run.check,
        "extra_vars": dict(run.extra_vars),
        "identity": run.identity,
        "status": run.status.value,
        "rc": run.rc,
        "started_by": run.started_by,
        "queued_at": run.queued_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "summary": [attrs.asdict(h) for h in run.summary],
        "cancel_requested": run.cancel_requested,
        "runner": run.runner,
        "runner_seen_at": run.runner_seen_at,
        "reason": run.reason,
    }


def event_from_row(row: Row[Any]) -> RunEvent:
    return RunEvent(
        run_id=row.run_id,
        seq=row.seq,
        event=row.event,
        host=row.host,
        task=row.task,
        status=row.status,
        stdout=row.stdout,
        at=row.at,
    )


class SqlAutomationRunRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, run: AutomationRun) -> AutomationRun:
        result = self._c.execute(insert(t.automation_runs).values(_row(run)))
        return attrs.evolve(run, id=_new_id(result))

    def update(self, run: AutomationRun) -> AutomationRun:
        if run.id is None or not 0 < run.id <= MAX_ID:
            raise NotFound(f"run {run.id} does not exist")
        c = t.automation_runs.c
        result = self._c.execute(update(t.automation_runs).where(c.id == run.id).values(_row(run)))
        if result.rowcount != 1:
            raise NotFound(f"run {run.id} does not exist")
        return run

    def update_unfinished(self, run: AutomationRun) -> bool:
        if run.id is None or not 0 < run.id <= MAX_ID:
            return False
        c = t.automation_runs.c
        result = self._c.execute(
            update(t.automation_runs)
            .where(c.id == run.id, c.status.in_(UNFINISHED))
            .values(_row(run))
        )
        return result.rowcount == 1

    def heartbeat(self, run_id: int, at: datetime) -> bool:
        if not 0 < run_id <= MAX_ID:
            return False
        c = t.automation_runs.c
        result = self._c.execute(
            update(t.automation_runs)
            .where(c.id == run_id, c.status.in_(UNFINISHED))
            .values(runner_seen_at=at)
        )
        return result.rowcount == 1

    def unfinished(self) -> Sequence[AutomationRun]:
        c = t.automation_runs.c
        rows = self._c.execute(
            select(t.automation_runs).where(c.status.in_(UNFINISHED)).order_by(c.id)
        )
        return [run_from_row(row) for row in rows]

    def get(self, run_id: int) -> AutomationRun | None:
        if not 0 < run_id <= MAX_ID:
            return None
        c = t.automation_runs.c
        row = self._c.execute(select(t.automation_runs).where(c.id == run_id)).first()
        return None if row is None else run_from_row(row)

    def list(self, limit: int = 50) -> Sequence[AutomationRun]:
        c = t.automation_runs.c
        rows = self._c.execute(select(t.automation_runs).order_by(c.id.desc()).limit(limit))
        return [run_from_row(row) for row in rows]

    def add_events(self, events: Sequence[RunEvent]) -> None:
        if not events:
            return
        with _conflict_on_integrity_error(f"events of run {events[0].run_id}"):
            self._add_events(events)

    def _add_events(self, events: Sequence[RunEvent]) -> None:
        self._c.execute(
            insert(t.run_events),
            [
                {
                    "run_id": e.run_id,
                    "seq": e.seq,
                    "event": e.event[:64],
                    "host": e.host[:255] if e.host else e.host,
                    "task": e.task,
                    "status": e.status,
                    "stdout": e.stdout,
                    "at": e.at,
                }
                for e in events
            ],
        )

    def events(self, run_id: int, after_seq: int = 0, limit: int = 1000) -> Sequence[RunEvent]:
        if not 0 < run_id <= MAX_ID:
            return []
        c = t.run_events.c
        rows = self._c.execute(
            select(t.run_events)
            .where(c.run_id == run_id, c.seq > min(after_seq, MAX_ID))
            .order_by(c.seq)
            .limit(limit)
        )
        return [event_from_row(row) for row in rows]
