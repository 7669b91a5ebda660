"""AnsibleRunnerAutomation with real ansible-runner on localhost (connection local), through
the use cases and the real repositories on SQLite and PostgreSQL: passing, failing,
unreachable, cancelled and timed-out runs, with their events and per-host summaries."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aiops.container import Container
from aiops.domain.model.automation import AutomationRun, RunEvent, RunStatus
from aiops.domain.usecases.automation import RunPlaybookCommand

pytestmark = pytest.mark.slow


def run(app: Container, playbook: str, **fields: object) -> AutomationRun:
    cmd = RunPlaybookCommand(playbook=playbook, wait=True, **fields)  # type: ignore[arg-type]
    return app.run_playbook()(cmd)


def events_of(app: Container, run_id: int) -> list[RunEvent]:
    """Every event, read page by page after the last seq (as the browser and the CLI do)."""
    events: list[RunEvent] = []
    while page := app.run_events()(run_id, after_seq=events[-1].seq if events else 0).events:
        events.extend(page)
    return events


def wait_for_event(app: Container, run_id: int, task: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(e.task == task for e in events_of(app, run_id)):
            return
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {task!r}")


def test_a_passing_playbook_stores_every_event_and_the_summary(automation: Container) -> None:
    seen: list[RunEvent] = []
    result = run(automation, "ping", on_event=seen.append)
    assert result.id is not None
    assert (result.status, result.rc) == (RunStatus.SUCCESSFUL, 0)
    assert [(h.host, h.ok, h.failed) for h in result.summary] == [("localhost", 1, 0)]
    assert result.started_at is not None
    assert result.duration_seconds is not None
    events = events_of(automation, result.id)
    assert events == seen
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = [e.event for e in events]
    assert kinds[0] == "playbook_on_start"
    assert kinds[-1] == "playbook_on_stats"
    [ok] = [e for e in events if e.event == "runner_on_ok"]
    assert (ok.host, ok.task, ok.status) == ("localhost", "Ping", "ok")
    assert "ok: [localhost]" in ok.stdout


def test_a_failing_task_fails_the_run_and_stops_the_host(automation: Container) -> None:
    result = run(automation, "fail")
    assert result.id is not None
    assert (result.status, result.rc) == (RunStatus.FAILED, 2)
    [host] = result.summary
    assert (host.ok, host.failed) == (1, 1)
    events = events_of(automation, result.id)
    [failed] = [e for e in events if e.status == "failed"]
    assert failed.task == "Breaks"
    assert "broken on purpose" in failed.stdout
    assert not any(e.task == "Never" for e in events)


def test_an_unreachable_host_is_reported_as_such(automation: Container) -> None:
    result = run(automation, "ping", inventory="unreachable")
    assert result.id is not None
    assert result.status is RunStatus.FAILED
    assert result.rc == 4
    [host] = result.summary
    assert (host.host, host.unreachable, host.ok) == ("nowhere", 1, 0)
    statuses = [e.status for e in events_of(automation, result.id) if e.host == "nowhere"]
    assert "unreachable" in statuses


def test_a_run_cancelled_midway_stops_and_says_so(automation: Container) -> None:
    started: dict[str, AutomationRun] = {}
    worker = threading.Thread(
        target=lambda: started.setdefault("run", run(automation, "sleep")), daemon=True
    )
    worker.start()
    deadline = time.monotonic() + 30
    while not automation.list_runs()() and time.monotonic() < deadline:
        time.sleep(0.05)
    [queued] = automation.list_runs()()
    assert queued.id is not None
    wait_for_event(automation, queued.id, "Sleep")
    began = time.monotonic()
    automation.cancel_run()(queued.id)
    worker.join(30)
    result = started["run"]
    assert time.monotonic() - began < 5  # not the 30 s the task sleeps
    assert result.status is RunStatus.CANCELLED
    assert result.cancel_requested
    assert result.ended_at is not None
    assert any(e.task == "Before" and e.status == "ok" for e in events_of(automation, queued.id))


def test_a_cancel_from_another_process_is_seen_within_a_second_or_two(
    make_app: Callable[..., Container],
) -> None:
    runner_side, other_side = make_app(), make_app()
    worker = threading.Thread(target=lambda: run(runner_side, "sleep"), daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while not other_side.list_runs()() and time.monotonic() < deadline:
        time.sleep(0.05)
    [queued] = other_side.list_runs()()
    assert queued.id is not None
    wait_for_event(other_side, queued.id, "Sleep")
    other_side.cancel_run()(queued.id)  # its own runner does not run it: only the request
    worker.join(15)
    assert not worker.is_alive()
    assert other_side.show_run()(queued.id).status is RunStatus.CANCELLED


def test_a_run_past_its_timeout_is_stopped(make_app: Callable[..., Container]) -> None:
    app = make_app(playbook_timeout=3)
    began = time.monotonic()
    result = run(app, "sleep")
    assert time.monotonic() - began < 15
    assert result.status is RunStatus.TIMEOUT
    assert result.id is not None
    assert any(e.task == "Before" for e in events_of(app, result.id))


def test_check_mode_installs_no_ai_cli(automation: Container) -> None:
    result = run(automation, "ai-clis", check=True, extra_vars={"ai_cli_tools": ["codex"]})
    assert result.id is not None
    assert result.status is RunStatus.SUCCESSFUL, [
        e.stdout for e in events_of(automation, result.id)
    ]
    install = [e for e in events_of(automation, result.id) if e.task == "Install or upgrade"]
    assert install
    assert all(e.status in (None, "skipped") for e in install)
    assert not any(e.status == "changed" for e in events_of(automation, result.id))


def test_ai_clis_refuses_a_tool_off_its_list(automation: Container) -> None:
    result = run(automation, "ai-clis", check=True, extra_vars={"ai_cli_tools": ["evil"]})
    assert result.status is RunStatus.FAILED


def test_the_host_report_shows_disk_memory_and_git(automation: Container) -> None:
    result = run(automation, "host-report")
    assert result.id is not None
    assert result.status is RunStatus.SUCCESSFUL
    [report] = [
        e for e in events_of(automation, result.id) if e.task == "Report" and e.status == "ok"
    ]
    assert "git version" in report.stdout
    assert "Mem:" in report.stdout


# ansible itself emits ~130 events/s here, so this run takes over a minute: it runs once, on
# PostgreSQL (the several-workers case). 10,000 events stored through the recorder on both
# backends are checked in test_run_repository.py.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_ten_thousand_events_none_dropped(automation: Container) -> None:
    result = run(automation, "many", extra_vars={"event_count": 9_995})
    assert result.id is not None
    assert result.status is RunStatus.SUCCESSFUL
    events = events_of(automation, result.id)
    assert len(events) >= 10_000
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert sum(e.event == "runner_item_on_ok" for e in events) == 9_995


def processes_of(tmp_path: Path) -> set[int]:
    """The pids of processes whose environment names this test's folder: those of its runs
    (ansible-runner points ANSIBLE_* variables at the artifacts under the instance), not
    another worker's."""
    wanted = str(tmp_path).encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if wanted in (entry / "environ").read_bytes():
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def test_runs_going_when_the_process_stops_are_cancelled_not_orphaned(
    automation: Container, tmp_path: Path
) -> None:
    started = automation.run_playbook()(RunPlaybookCommand(playbook="sleep"))
    assert started.id is not None
    wait_for_event(automation, started.id, "Sleep")
    assert len(processes_of(tmp_path)) >= 2  # ansible-playbook, and the module's `sleep`

    began = time.monotonic()
    asked = automation.cancel_local_runs()(grace_seconds=10)

    assert asked == [started.id]
    assert time.monotonic() - began < 8  # not the 30 s the task sleeps
    run = automation.show_run()(started.id)
    assert run.status is RunStatus.CANCELLED
    deadline = time.monotonic() + 20  # killed at once; a loaded CI worker may reap them late
    while processes_of(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_of(tmp_path)
