"""`playbook` jobs run through the automation: real ansible-runner, the run stored like any
other, the job failing when the run does, and refused when added like a run would be."""

from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import DomainError, ValidationError
from aiops.domain.model.automation import RunStatus
from aiops.domain.model.jobs import JobStatus
from aiops.domain.usecases.jobs import AddJobCommand, RunJobNowCommand


def add(app: Container, name: str, **params: object) -> None:
    app.add_job()(AddJobCommand(name=name, kind="playbook", every="1h", params=params))


def test_a_scheduled_playbook_runs_and_is_stored_as_a_run(automation: Container) -> None:
    add(automation, "many-hourly", playbook="many", extra_vars={"event_count": 1})

    outcome = automation.run_job_now()(RunJobNowCommand(name="many-hourly", inline=True))

    assert outcome is not None
    assert outcome.status is JobStatus.OK, outcome.error
    [run] = automation.list_runs()()
    assert (run.playbook, run.status, run.rc, run.started_by) == (
        "many",
        RunStatus.SUCCESSFUL,
        0,
        "system",
    )
    assert run.extra_vars == {"event_count": 1}
    assert [(h.host, h.ok, h.failed) for h in run.summary] == [("localhost", 1, 0)]
    assert f"run {run.id} successful (rc 0): localhost: ok 1" in outcome.summary


def test_a_scheduled_playbook_that_fails_fails_the_job(automation: Container) -> None:
    add(automation, "always-fails", playbook="fail")

    outcome = automation.run_job_now()(RunJobNowCommand(name="always-fails", inline=True))

    assert outcome is not None
    assert outcome.status is JobStatus.FAILED
    [run] = automation.list_runs()()
    assert run.status is RunStatus.FAILED
    assert outcome.error is not None
    assert f"run {run.id} failed (rc 2)" in outcome.error


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"playbook": "not-listed"}, "not on the allowlist"),
        ({"playbook": "ping", "inventory": "nowhere"}, "not a known inventory"),
        ({"playbook": "secret", "extra_vars": {"db_password": "hunter2"}}, "look secret"),
        ({"playbook": "ping", "extra_vars": {"greeting": "hi"}}, "not an extra var of playbook"),
        ({"playbook": "ping", "extra_vars": {"ansible_connection": "ssh"}}, "ansible_"),
    ],
)
def test_a_playbook_job_that_could_not_run_is_not_added(
    automation: Container, params: dict[str, object], message: str
) -> None:
    with pytest.raises((DomainError, ValidationError), match=message):
        add(automation, "refused", **params)

    assert [job.name for job in automation.list_jobs()()] == []
    assert automation.list_runs()() == []
