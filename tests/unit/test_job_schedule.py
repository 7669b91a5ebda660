"""Next-run computation, property-tested across daylight-saving changes.

The reference is a brute force over every UTC minute: a minute is a run when its wall-clock
time in the zone matches the expression and is that wall time's first occurrence, or when the
clocks jumped forward onto it over a wall time that matches (see domain/model/jobs.py). The
schedule, iterated with next_after, must give exactly those minutes: none missed, none twice,
each strictly later than the moment asked about.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.domain.errors import ValidationError
from aiops.domain.model.jobs import Schedule, parse_every

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]
MINUTE = timedelta(minutes=1)


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The UTC moments in 2025-2027 at which the zone's offset changes (none for UTC)."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        moment += timedelta(minutes=30)
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(moment)
            previous = offset
    return tuple(found) or (datetime(2026, 3, 29, 1, tzinfo=UTC),)


@st.composite
def moments_near_a_change(draw: st.DrawFn) -> tuple[str, datetime]:
    zone = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(transitions(zone)))
    offset = draw(st.integers(min_value=-36 * 3600, max_value=12 * 3600))
    return zone, change + timedelta(seconds=offset, microseconds=draw(st.integers(0, 999_999)))


def _field(values: list[int]) -> str:
    return ",".join(str(v) for v in sorted(set(values)))


@st.composite
def cron_fields(draw: st.DrawFn) -> tuple[str, set[int], set[int], set[int]]:
    """An expression that fires at least weekly, and the sets it stands for."""
    minute_form = draw(st.sampled_from(["*", "step", "list"]))
    if minute_form == "*":
        minute_text, minutes = "*", set(range(60))
    elif minute_form == "step":
        step = draw(st.sampled_from([5, 15, 20, 30]))
        minute_text, minutes = f"*/{step}", set(range(0, 60, step))
    else:
        chosen = draw(st.lists(st.integers(0, 59), min_size=1, max_size=3))
        minute_text, minutes = _field(chosen), set(chosen)
    if draw(st.booleans()):
        hour_text, hours = "*", set(range(24))
    else:  # around the hours the clocks change at, most of the time
        chosen = draw(st.lists(st.integers(0, 23) | st.integers(0, 4), min_size=1, max_size=3))
        hour_text, hours = _field(chosen), set(chosen)
    if draw(st.integers(0, 4)):
        dow_text, days = "*", set(range(7))
    else:
        chosen = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))
        dow_text, days = _field(chosen), set(chosen)
    return f"{minute_text} {hour_text} * * {dow_text}", minutes, hours, days


def matches(wall: datetime, minutes: set[int], hours: set[int], days: set[int]) -> bool:
    return (
        wall.minute in minutes and wall.hour in hours and (wall.weekday() + 1) % 7 in days
    )  # cron's 0 is Sunday


def reference_runs(
    zone: ZoneInfo, start: datetime, end: datetime, sets: tuple[set[int], set[int], set[int]]
) -> list[datetime]:
    runs = []
    minute = start.replace(second=0, microsecond=0) + MINUTE
    before = (minute - MINUTE).astimezone(zone)
    while minute <= end:
        local = minute.astimezone(zone)
        wall, previous_wall = local.replace(tzinfo=None), before.replace(tzinfo=None)
        skipped = []
        step = previous_wall + MINUTE
        while step < wall:  # the clocks jumped forward over these wall times
            skipped.append(step)
            step += MINUTE
        if (local.fold == 0 and matches(wall, *sets)) or any(matches(s, *sets) for s in skipped):
            runs.append(minute)
        before, minute = local, minute + MINUTE
    return runs


@settings(max_examples=60)
@given(near=moments_near_a_change(), cron=cron_fields())
def test_cron_runs_are_exactly_the_wall_clock_matches_across_dst_changes(
    near: tuple[str, datetime], cron: tuple[str, set[int], set[int], set[int]]
) -> None:
    zone_name, start = near
    expression, *sets = cron
    schedule = Schedule.parse(every=None, cron=expression, timezone=zone_name)
    end = start + timedelta(days=2)
    expected = reference_runs(ZoneInfo(zone_name), start, end, (sets[0], sets[1], sets[2]))
    got = []
    moment = start
    while True:
        following = schedule.next_after(moment)
        assert following > moment
        if following > end:
            break
        got.append(following)
        moment = following
    assert got == expected


@settings(max_examples=100)
@given(
    near=moments_near_a_change(),
    seconds=st.integers(min_value=1, max_value=366 * 86400),
)
def test_an_interval_adds_exactly_the_interval_in_utc(
    near: tuple[str, datetime], seconds: int
) -> None:
    zone_name, start = near
    schedule = Schedule(every_seconds=seconds, timezone=zone_name)
    following = schedule.next_after(start.astimezone(ZoneInfo(zone_name)))
    assert following - start == timedelta(seconds=seconds)
    assert following.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Berlin springs forward at 02:00: 02:30 does not exist, it runs when the clocks jump.
        ("Europe/Berlin", "2026-03-28T12:00:00+00:00", "2026-03-29T03:00:00+02:00"),
        # ... and falls back at 03:00: 02:30 happens twice and runs once, the first time.
        ("Europe/Berlin", "2026-10-25T00:31:00+00:00", "2026-10-26T02:30:00+01:00"),
        ("America/New_York", "2026-03-08T06:00:00+00:00", "2026-03-08T03:00:00-04:00"),
        ("America/New_York", "2026-11-01T05:00:00+00:00", "2026-11-01T02:30:00-05:00"),
    ],
)
def test_examples_on_the_days_the_clocks_change(zone: str, start: str, expected: str) -> None:
    schedule = Schedule.parse(every=None, cron="30 2 * * *", timezone=zone)
    assert schedule.next_after(datetime.fromisoformat(start)) == datetime.fromisoformat(expected)


def test_intervals_read_like_people_write_them() -> None:
    assert parse_every("90s") == 90
    assert parse_every("5m") == 300
    assert parse_every("1h30m") == 5400
    assert parse_every("2d") == 172800
    with pytest.raises(ValidationError):
        parse_every("5x")
