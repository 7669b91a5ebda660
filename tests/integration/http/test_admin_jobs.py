"""Admin -> Jobs: the table, run now, enable/disable (CSRF-checked, audited, admins only),
and the in-process scheduler the server can run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from dependency_injector import providers
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.jobs import JobOutcome, JobStatus
from aiops.domain.usecases.jobs import AddJobCommand
from aiops.entrypoints.http.app import create_app
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import World, csrf, post_form, sign_in


def add(app: Container, name: str = "resync", **fields: str) -> None:
    app.add_job()(AddJobCommand(name=name, kind="tmux-resync", every=fields.get("every", "1h")))


def job(app: Container, name: str = "resync") -> object:
    with app.uow() as uow:
        return uow.jobs.get_by_name(name)


def test_the_page_shows_schedule_next_run_last_status_and_duration(
    app: Container, world: World, client: TestClient
) -> None:
    add(app)
    add(app, "broken")
    store = app.gateways.job_store()
    started = datetime.now(UTC)
    claimed = store.claim("broken", "test", started, timedelta(seconds=30))
    assert claimed is not None
    assert claimed.id is not None
    store.finish(
        claimed.id,
        "test",
        JobOutcome(
            status=JobStatus.FAILED,
            started_at=started,
            ended_at=started + timedelta(seconds=1.25),
            error="tmux is gone",
        ),
        started + timedelta(hours=1),
    )
    app.disable_job()("resync")
    sign_in(client, World.ADMIN)
    page = client.get("/admin/jobs").text
    assert '<tr data-job="resync">' in page
    assert "every 1h" in page
    assert '<td class="next-run">disabled</td>' in page
    assert '<td class="last-status">failed: tmux is gone</td>' in page
    assert '<td class="last-duration">1.250 s</td>' in page
    assert 'action="/admin/jobs/resync/enable"' in page
    assert 'action="/admin/jobs/broken/disable"' in page
    assert 'href="/admin/jobs"' in page


def test_run_now_makes_the_job_due_and_is_audited(
    app: Container, world: World, client: TestClient
) -> None:
    add(app)
    sign_in(client, World.ADMIN)
    response = post_form(client, "/admin/jobs/resync/run", {})
    assert (response.status_code, response.headers["location"]) == (303, "/admin/jobs")
    assert job(app).next_run <= datetime.now(UTC)  # type: ignore[attr-defined]
    assert "job resync is due now" in client.get("/admin/jobs").text
    with app.uow() as uow:
        assert [e.actor for e in uow.audit.list(AuditQuery(action="job.run_requested"))] == [
            World.ADMIN
        ]


def test_disable_and_enable_from_the_page(app: Container, world: World, client: TestClient) -> None:
    add(app)
    sign_in(client, World.ADMIN)
    assert post_form(client, "/admin/jobs/resync/disable", {}).status_code == 303
    assert job(app).enabled is False  # type: ignore[attr-defined]
    assert post_form(client, "/admin/jobs/resync/run", {}).status_code == 303
    assert "job &#39;resync&#39; is disabled: enable it" in client.get("/admin/jobs").text
    assert post_form(client, "/admin/jobs/resync/enable", {}).status_code == 303
    assert job(app).enabled is True  # type: ignore[attr-defined]


def test_a_form_without_its_csrf_token_is_refused(
    app: Container, world: World, client: TestClient
) -> None:
    add(app)
    sign_in(client, World.ADMIN)
    csrf(client, "/profile")
    assert client.post("/admin/jobs/resync/disable", data={}).status_code == 403
    assert job(app).enabled is True  # type: ignore[attr-defined]


def test_an_unknown_job_is_404_and_non_admins_get_403(
    app: Container, world: World, client: TestClient
) -> None:
    sign_in(client, World.ADMIN)
    assert post_form(client, "/admin/jobs/ghost/run", {}).status_code == 404
    client.post("/logout", data={"csrf_token": csrf(client, "/profile")})
    sign_in(client, World.OWNER)
    assert client.get("/admin/jobs").status_code == 403


@pytest.fixture
def in_process(app: Container) -> Iterator[Container]:
    settings = attrs.evolve(app.settings(), scheduler_in_process=True, scheduler_poll=0.05)
    with app.settings.override(providers.Object(settings)):
        yield app


def test_the_server_can_run_the_scheduler_in_process(in_process: Container) -> None:
    app = in_process
    add(app, every="1s")
    with TestClient(create_app(app), follow_redirects=False):
        deadline = time.monotonic() + 20
        while job(app).last_status is None:  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the in-process scheduler ran nothing"
            time.sleep(0.1)
    done = job(app)
    assert done.last_status is JobStatus.OK  # type: ignore[attr-defined]
    assert done.lease_owner is None  # type: ignore[attr-defined]
