"""Scheduled jobs: their storage with leases, and the handlers that run each kind.

Every JobStore method is its own short transaction, so a claim is visible to every other
runner at once. Leases make a job run by one runner at a time: a claim takes only jobs whose
lease is free or expired, a heartbeat extends only a lease its owner still holds, and finish
and release only act for the lease's owner (a runner that lost its lease never overwrites
another's result).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiops.domain.model.jobs import Job, JobOutcome


class JobRepository(Protocol):
    """The jobs themselves, inside a unit of work (with the audit event of each change)."""

    def add(self, job: Job) -> Job: ...
    def update(self, job: Job) -> Job:
        """Name, kind, schedule, params, enabled and next run; never the lease or results."""
        ...

    def get_by_name(self, name: str) -> Job | None: ...
    def list(self) -> Sequence[Job]:
        """By name."""
        ...

    def remove(self, job_id: int) -> None: ...


class JobStore(Protocol):
    def claim_due(self, owner: str, now: datetime, lease: timedelta, limit: int) -> Sequence[Job]:
        """Lease up to `limit` enabled jobs due at `now` (next_run <= now) whose lease is free
        or expired, to `owner` until now + lease; the soonest due first."""
        ...

    def claim(self, name: str, owner: str, now: datetime, lease: timedelta) -> Job | None:
        """Lease the named job whether due or not (run it now); None when another holds it."""
        ...

    def heartbeat(self, job_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Extend the lease to `until` when `owner` still holds it (not expired at `now`)."""
        ...

    def finish(
        self,
        job_id: int,
        owner: str,
        outcome: JobOutcome,
        next_run: datetime,
        *,
        claimed_next_run: datetime | None = None,
    ) -> bool:
        """Record the run, set the next run and free the lease, only when `owner` holds it.
        When the stored next run is no longer `claimed_next_run` (the one the runner claimed),
        somebody set it while the job ran ("Run now", an edit): it is kept."""
        ...

    def release(self, job_id: int, owner: str) -> bool:
        """Free the lease (the job stays due) when `owner` holds it."""
        ...


class JobHandler(Protocol):
    """Runs one kind of job."""

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The params in canonical form, or ValidationError saying what is wrong."""
        ...

    def __call__(self, job: Job) -> str:
        """Run the job once; a one-line summary. A DomainError is a failed run (its message
        is recorded on the job)."""
        ...


JobHandlers = Mapping[str, JobHandler]
