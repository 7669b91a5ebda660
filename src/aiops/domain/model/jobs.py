"""Scheduled jobs: what runs (a kind and its params), when (an interval or a cron expression in
a time zone), and who holds it now (a lease: owner and until).

Next-run rules (`Schedule.next_after`), the part a newcomer would question:

- An interval ("every 5m") is counted in UTC: the next run is exactly the interval later,
  whatever the local clocks do.
- A cron expression is read on the wall clock of the job's time zone. Each wall-clock time it
  names runs once: a time that occurs twice (clocks going back) runs at its first occurrence
  only; a time that does not exist (clocks going forward) runs at the moment the clocks jump,
  together with any other skipped time (once). The next run is always strictly later than
  the moment asked about.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation

_EVERY = re.compile(r"(?:(\d{1,6})([smhd]))+?")
_EVERY_PART = re.compile(r"(\d{1,6})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
MIN_INTERVAL = 1
MAX_INTERVAL = 366 * 86400
CRON_MAX = 200
_SEARCH_LIMIT = 5000  # wall-clock matches examined before a cron expression is called empty


class JobKind(enum.StrEnum):
    """The kinds aiops ships; a runner's handler registry may know more (tests add `noop`)."""

    SYNC_ISSUES = "sync-issues"
    TMUX_RESYNC = "tmux-resync"
    WORKSPACE_FETCH = "workspace-fetch"
    PLAYBOOK = "playbook"
    NOTIFY = "notify"
    PR_LOOP = "pr-loop"


class JobStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"


def parse_every(text: str) -> int:
    """'90s', '5m', '1h30m', '2d' -> seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    if not _EVERY.fullmatch(cleaned):
        raise ValidationError(
            "every", f"{text[:40]!r} is not an interval: use e.g. 30s, 5m, 1h30m or 1d"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _EVERY_PART.findall(cleaned))
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValidationError("every", "must be between 1 second and 366 days")
    return seconds


def format_every(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_timezone(name: str) -> ZoneInfo:
    if not _ZONE.fullmatch(name) or ".." in name:
        raise ValidationError("timezone", f"{name[:60]!r} is not a time zone name (e.g. UTC)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            "timezone", f"unknown time zone {name[:60]!r} (use an IANA name: Europe/Berlin)"
        ) from None


def parse_cron(expression: str) -> str:
    """A standard five-field cron expression (minute hour day-of-month month day-of-week),
    normalised to single spaces."""
    fields = expression.split()
    if len(expression) > CRON_MAX or len(fields) != 5:
        raise ValidationError(
            "cron",
            f"{expression[:60]!r} is not a cron expression: give five fields, minute hour "
            "day-of-month month day-of-week (e.g. '*/15 * * * *' or '30 2 * * 1-5')",
        )
    normalised = " ".join(fields)
    from croniter import croniter  # noqa: PLC0415 - 60 ms of imports, only where cron is used

    if not croniter.is_valid(normalised):
        raise ValidationError("cron", f"{normalised!r} is not a valid cron expression")
    return normalised


@attrs.frozen(kw_only=True)
class Schedule:
    """Every `every_seconds` (UTC), or at the times `cron` names on `timezone`'s wall clock."""

    every_seconds: int | None = None
    cron: str | None = None
    timezone: str = "UTC"

    @classmethod
    def parse(cls, *, every: str | None, cron: str | None, timezone: str = "UTC") -> Schedule:
        if (every is None) == (cron is None):
            raise ValidationError(
                "schedule", "give exactly one of an interval or a cron expression"
            )
        parse_timezone(timezone)
        if every is not None:
            return cls(every_seconds=parse_every(every), timezone=timezone)
        assert cron is not None
        schedule = cls(cron=parse_cron(cron), timezone=timezone)
        schedule.next_after(datetime(2000, 1, 1, tzinfo=UTC))  # an expression that never fires
        return schedule

    def describe(self) -> str:
        if self.every_seconds is not None:
            return f"every {format_every(self.every_seconds)}"
        return f"cron {self.cron} ({self.timezone})"

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after `moment` (aware), in UTC."""
        if moment.tzinfo is None:
            raise ValueError("next_after needs an aware datetime")
        moment = moment.astimezone(UTC)
        if self.every_seconds is not None:
            return moment + timedelta(seconds=self.every_seconds)
        assert self.cron is not None
        return next_cron_run(self.cron, parse_timezone(self.timezone), moment)


def next_cron_run(expression: str, zone: ZoneInfo, moment: datetime) -> datetime:
    """See the module docstring: wall-clock matches, each resolved to one instant."""
    from croniter import CroniterBadDateError, croniter  # noqa: PLC0415 - see parse_cron

    wall = moment.astimezone(zone).replace(tzinfo=None, fold=0)
    matches = croniter(expression, wall)
    try:
        for _ in range(_SEARCH_LIMIT):
            candidate: datetime = matches.get_next(datetime)
            instant = resolve_wall_time(candidate, zone)
            if instant > moment:
                return instant
    except CroniterBadDateError:
        pass
    raise ValidationError("cron", f"{expression!r} never names a time that comes")


def resolve_wall_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a naive wall-clock time stands for in `zone`: its first occurrence when
    it occurs twice, the end of the gap (the moment the clocks jump) when it does not exist."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=0 reads the time with the offset before the jump (a later instant) and
    # fold=1 with the offset after it (an earlier one): the jump lies between the two.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp())  # before the jump
    high = int(first.timestamp())  # after it
    after = first.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


JsonValue = Any


@attrs.frozen(kw_only=True)
class Job:
    name: str
    kind: str
    schedule: Schedule
    params: Mapping[str, JsonValue] = attrs.field(factory=dict)
    enabled: bool = True
    next_run: datetime
    id: int | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_status: JobStatus | None = None
    last_started_at: datetime | None = None
    last_ended_at: datetime | None = None
    last_duration: float | None = None  # seconds
    last_error: str | None = None

    def leased(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now


def job_name(value: str) -> str:
    return validation.slug(value.strip(), field="name")


@attrs.frozen(kw_only=True)
class JobOutcome:
    """One run's result, as the runner records it on the job."""

    status: JobStatus
    started_at: datetime
    ended_at: datetime
    summary: str = ""
    error: str | None = None

    @property
    def duration(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()
