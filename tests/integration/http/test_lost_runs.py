"""Runs whose aiops process died, over HTTP on both databases: the web server marks them
failed when it starts, and a run's event stream ends (`end`, with the reason) instead of
waiting for ever; runs of other hosts are judged by their runner's heartbeat. The playbook
runner and the runner processes are the fakes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers
from starlette.applications import Starlette
from starlette.testclient import TestClient

from aiops.adapters.run_recorder import ThreadedRunRecorders
from aiops.container import Container
from aiops.domain.model.automation import AutomationRun, RunStatus
from aiops.entrypoints.http.app import create_app
from aiops.ports.automation import RunOutcome
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import FakePlaybookRunner, FakeRunnerProcesses
from tests.integration.http.conftest import World
from tests.integration.http.sse import read_sse
from tests.integration.http.test_automation import EVENTS_STREAM, admin, event, runner, start

__all__ = ["admin", "runner"]  # fixtures: `admin` signs in to this module's `asgi`
REASON = "aiops process 1 on here ended before the run finished"


@pytest.fixture
def processes(app: Container) -> FakeRunnerProcesses:
    fake = FakeRunnerProcesses()
    app.gateways.runner_processes.override(providers.Object(fake))
    return fake


@pytest.fixture
def asgi(
    app: Container, world: World, runner: FakePlaybookRunner, processes: FakeRunnerProcesses
) -> Starlette:
    return create_app(app)


def stored_status(app: Container, run_id: int) -> RunStatus:
    with app.uow() as uow:  # the row itself, not through a use case that would settle it
        run = uow.automation_runs.get(run_id)
    assert run is not None
    return run.status


def test_the_web_server_marks_lost_runs_failed_when_it_starts(
    app: Container, asgi: Starlette, processes: FakeRunnerProcesses
) -> None:
    lost = start(app)
    processes.pid = 2
    alive = start(app)
    processes.host = "elsewhere"
    remote = start(app)
    processes.host, processes.pid = "here", 3
    processes.kill("here:1")
    assert stored_status(app, lost) is RunStatus.RUNNING

    with TestClient(asgi):  # the lifespan: startup, then shutdown
        assert stored_status(app, lost) is RunStatus.FAILED

    assert stored_status(app, alive) is RunStatus.RUNNING
    assert stored_status(app, remote) is RunStatus.RUNNING
    [audit] = app.list_audit_events()(AuditQuery(action="automation.lost"))
    assert (audit.target, audit.detail["reason"]) == (f"run:{lost}", REASON)


def test_the_stream_of_a_run_whose_runner_died_ends_with_the_reason(
    app: Container, admin: TestClient, runner: FakePlaybookRunner, processes: FakeRunnerProcesses
) -> None:
    run_id = start(app)
    runner.emit(run_id, *(event(run_id, seq) for seq in (1, 2)))
    runner.listeners[run_id].flush()  # type: ignore[attr-defined]
    processes.kill()  # the process dies mid-run: no more events, no outcome

    with admin.stream("GET", EVENTS_STREAM.format(run_id)) as response:
        assert response.status_code == 200
        stream = read_sse(response.iter_lines())

    assert [m.id for m in stream.events] == ["1", "2"]
    assert stream.end is not None
    end = stream.end.payload
    assert (end["status"], end["rc"], end["reason"]) == ("failed", None, REASON)
    page = admin.get(f"/automation/runs/{run_id}")
    assert REASON in page.text
    assert 'id="cancel-form"' not in page.text


def test_the_web_server_cancels_the_runs_it_runs_when_it_stops(
    app: Container, asgi: Starlette, runner: FakePlaybookRunner
) -> None:
    with TestClient(asgi):
        run_id = start(app)
        finished = start(app)
        runner.finish(finished, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))

    assert runner.cancelled == [run_id]
    with app.uow() as uow:
        stopped = uow.automation_runs.get(run_id)
    assert stopped is not None
    assert stopped.cancel_requested
    [audit] = app.list_audit_events()(AuditQuery(action="automation.cancel_requested"))
    assert (audit.actor, audit.target) == ("system", f"run:{run_id}")


def test_a_run_whose_host_went_silent_is_failed_and_a_beating_one_is_not(
    app: Container, admin: TestClient
) -> None:
    """Runs of another host (its /proc out of sight) are judged by their heartbeat."""
    now = datetime.now(UTC)
    silent_since = now - timedelta(minutes=10)
    with app.uow() as uow:
        silent, beating = (
            uow.automation_runs.add(
                AutomationRun(
                    playbook="ping",
                    inventory="localhost",
                    started_by="admin@example.com",
                    queued_at=silent_since,
                    status=RunStatus.RUNNING,
                    runner="build-2:4242",
                    runner_seen_at=seen,
                )
            ).id
            or 0
            for seen in (silent_since, now)
        )
        uow.commit()

    page = admin.get(f"/automation/runs/{silent}")

    assert page.status_code == 200
    assert "aiops process 4242 on build-2 has not been heard from since" in page.text
    assert stored_status(app, silent) is RunStatus.FAILED
    assert admin.get(f"/automation/runs/{beating}").status_code == 200
    assert stored_status(app, beating) is RunStatus.RUNNING
    [audit] = app.list_audit_events()(AuditQuery(action="automation.lost"))
    assert audit.target == f"run:{silent}"


def test_a_running_run_beats_until_it_finishes(
    app: Container, runner: FakePlaybookRunner, processes: FakeRunnerProcesses
) -> None:
    """The recorder's own thread beats (here every 0.1 s) against the real database."""
    recorders = ThreadedRunRecorders(
        uow=app.uow, clock=app.clock(), lost_after_seconds=0.4, flush_seconds=0.05
    )
    app.gateways.run_recorders.override(providers.Object(recorders))
    run_id = start(app)
    first = seen_at(app, run_id)

    deadline = time.monotonic() + 5
    while seen_at(app, run_id) == first:
        assert time.monotonic() < deadline, "no heartbeat within 5 s"
        time.sleep(0.05)
    runner.finish(run_id, RunOutcome(status=RunStatus.SUCCESSFUL, rc=0))
    last = seen_at(app, run_id)
    time.sleep(0.4)

    assert seen_at(app, run_id) == last  # no beat once finished
    assert first is not None
    assert last is not None
    assert last > first


def seen_at(app: Container, run_id: int) -> datetime | None:
    with app.uow() as uow:
        run = uow.automation_runs.get(run_id)
    assert run is not None
    return run.runner_seen_at
