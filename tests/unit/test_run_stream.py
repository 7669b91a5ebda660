"""The event stream's wire format and when it ends, and how run durations read (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.model.automation import AutomationRun, RunEvent, RunStatus
from aiops.domain.usecases.automation import RunEventsPage
from aiops.entrypoints.http.run_stream import events_text, is_complete, message
from aiops.entrypoints.humanize import duration

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def page(status: RunStatus, count: int) -> RunEventsPage:
    run = AutomationRun(
        playbook="ping", inventory="localhost", started_by="ops", queued_at=MOMENT, status=status
    )
    events = [RunEvent(run_id=1, seq=seq, event="verbose") for seq in range(1, count + 1)]
    return RunEventsPage(run=run, events=events)


def test_a_message_has_its_id_and_type_and_ends_with_a_blank_line() -> None:
    assert message("{}", event_id=7) == "id: 7\ndata: {}\n\n"
    assert message('{"a": 1}', event="end") == 'event: end\ndata: {"a": 1}\n\n'


@given(st.text())
def test_any_data_survives_as_data_lines_only(data: str) -> None:
    text = message(data, event_id=1)
    assert "\r" not in text  # EventSource also breaks lines on a lone CR
    lines = text[: -len("\n\n")].split("\n")
    assert lines[0] == "id: 1"
    normalised = data.replace("\r\n", "\n").replace("\r", "\n")
    assert "\n".join(line.removeprefix("data: ") for line in lines[1:]) == normalised
    assert all(line.startswith("data: ") for line in lines[1:])


def test_events_carry_their_seq_as_the_id_and_newlines_in_output_stay_inside_json() -> None:
    stream = events_text(page(RunStatus.RUNNING, 2))
    assert stream.startswith("id: 1\ndata: {")
    assert stream.count("\n\n") == 2
    assert "id: 2\n" in stream


@pytest.mark.parametrize(
    ("status", "count", "complete"),
    [
        (RunStatus.RUNNING, 0, False),
        (RunStatus.QUEUED, 5, False),
        (RunStatus.SUCCESSFUL, 5, True),
        (RunStatus.CANCELLED, 0, True),
        (RunStatus.FAILED, 1000, False),  # a full page: more may follow
    ],
)
def test_the_stream_ends_only_when_the_run_is_over_and_the_page_was_not_full(
    status: RunStatus, count: int, complete: bool
) -> None:
    assert is_complete(page(status, count)) is complete


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.84, "0.8 s"),
        (12.4, "12 s"),
        (185, "3 min 05 s"),
        (3725, "1 h 02 min"),
    ],
)
def test_durations_read_at_a_glance(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text
