"""The shipped job kinds through the real container (every port an in-memory fake): each runs
its use case and its outcome is recorded on the job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.model.jobs import JobStatus
from aiops.domain.model.trackers import IssueState, Provider, RemoteIssue
from aiops.domain.usecases.jobs import AddJobCommand, RunJobNowCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from tests.fakes import (
    FakeClock,
    FakeIssueTracker,
    FakeJobStore,
    FakeSecretBox,
    FakeTmuxSessions,
    FakeUnitOfWork,
)

TOKEN = "tracker-token"


@pytest.fixture
def app() -> Container:
    uow = FakeUnitOfWork()
    github = FakeIssueTracker(token=TOKEN)
    github.put(
        RemoteIssue(external_id="1", number="#1", title="Disk full", body="",
                    state=IssueState.OPEN, created_at=datetime(2026, 1, 1, tzinfo=UTC),
                    updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    )  # fmt: skip
    container = bootstrap(
        uow=uow,
        clock=FakeClock(),
        secret_box=FakeSecretBox(),
        issue_trackers={Provider.GITHUB: github},
        job_store=FakeJobStore(uow),
        tmux_sessions=FakeTmuxSessions(),
    )
    container.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = container.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web")
    )
    assert project.id is not None
    for token in (TOKEN, "a-refused-token"):
        container.add_tracker()(
            AddTrackerCommand(project_id=project.id, provider="github",
                              base_url="https://api.github.com/", key=f"acme/{token}", token=token)
        )  # fmt: skip
    return container


def connection(app: Container, key: str) -> int:
    with app.uow() as uow:
        return next(c.id for c in uow.trackers.list() if c.key == key and c.id is not None)


def run(app: Container, name: str, kind: str, **params: object) -> tuple[JobStatus, str]:
    app.add_job()(AddJobCommand(name=name, kind=kind, every="1h", params=params))
    outcome = app.run_job_now()(RunJobNowCommand(name=name, inline=True))
    assert outcome is not None
    with app.uow() as uow:
        job = uow.jobs.get_by_name(name)
    assert job is not None
    assert job.last_status is outcome.status
    return outcome.status, outcome.error or outcome.summary


def test_a_sync_issues_job_syncs_its_connection(app: Container) -> None:
    synced = connection(app, f"acme/{TOKEN}")
    assert run(app, "sync", "sync-issues", connection_id=synced) == (
        JobStatus.OK,
        "created 1, updated 0, removed 0",
    )
    with app.uow() as uow:
        assert len(uow.issues.for_connection(synced)) == 1


def test_a_sync_issues_job_fails_with_the_trackers_reason(app: Container) -> None:
    refused = connection(app, "acme/a-refused-token")
    assert run(app, "refused", "sync-issues", connection_id=refused) == (
        JobStatus.FAILED,
        "the token was refused",
    )
    assert run(app, "gone", "sync-issues", connection_id=99) == (
        JobStatus.FAILED,
        "tracker connection 99 does not exist",
    )


def test_a_tmux_resync_job_resyncs(app: Container) -> None:
    assert run(app, "resync", "tmux-resync") == (
        JobStatus.OK,
        "recreated 0, pruned 0, exited 0",
    )


def test_a_workspace_fetch_job_for_a_missing_project_fails(app: Container) -> None:
    assert run(app, "fetch", "workspace-fetch", project_id=42) == (
        JobStatus.FAILED,
        "project 42 does not exist",
    )
