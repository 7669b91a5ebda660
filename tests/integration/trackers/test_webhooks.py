"""Tracker webhooks through the real app on each database: a signed GitHub delivery is answered
202 at once and syncs the connection from the fake GitHub in the background; a replay is a
duplicate that syncs nothing; a bad signature is 401 and syncs nothing; CSRF lets signed
deliveries through (they carry no cookie-authenticated session to protect)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from httpx import Response
from starlette.testclient import TestClient

from aiops.config import Settings, load_settings
from aiops.container import Container
from aiops.domain.model.audit import AuditEvent
from aiops.domain.model.trackers import SyncRun
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.sync_issues import ListIssuesQuery
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.entrypoints.http.app import create_app
from aiops.entrypoints.http.webhook_syncs import WebhookSyncs
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub
from tests.integration.trackers.fake_gitlab import TOKEN as GITLAB_TOKEN
from tests.integration.trackers.fake_gitlab import FakeGitLab
from tests.integration.trackers.fake_jira import FakeJira

SECRET = "whsec-CANARY-6b2f0d"
BODY = b'{"action": "opened", "issue": {"number": 1, "title": "BODY-CANARY"}}'


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        tracker_allow_private_networks=True,  # the fake GitHub listens on 127.0.0.1
    )


@pytest.fixture
def connection_id(app: Container, github: FakeGitHub, github_url: str) -> int:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    assert project.id is not None
    connection = app.add_tracker()(
        AddTrackerCommand(
            project_id=project.id,
            provider="github",
            base_url=github_url,
            key="acme/web",
            token=TOKEN,
            webhook_secret=SECRET,
        )
    )
    assert connection.id is not None
    for _ in range(3):
        github.add_issue("acme/web")
    return connection.id


@pytest.fixture
def client(app: Container) -> Iterator[TestClient]:
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield client


def signed(body: bytes = BODY, delivery: str = "d-1", secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Event": "issues",
        "Content-Type": "application/json",
    }


def settle(client: TestClient) -> None:
    syncs: WebhookSyncs = client.app.state.webhook_syncs  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not syncs.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert syncs.idle()


def runs(app: Container, connection_id: int) -> list[SyncRun]:
    with app.uow() as uow:
        return list(uow.sync_runs.list(connection_id))


def issue_numbers(app: Container) -> list[str]:
    return sorted(i.remote.number for i in app.list_issues()(ListIssuesQuery()))


def webhook_events(app: Container) -> list[AuditEvent]:
    return list(app.list_audit_events()(AuditQuery(action="tracker.webhook")))


def post(client: TestClient, connection_id: int | str, headers: dict[str, str]) -> Response:
    return client.post(f"/hooks/github?connection={connection_id}", content=BODY, headers=headers)


def test_a_signed_delivery_is_answered_at_once_and_syncs_the_connection(
    app: Container, client: TestClient, connection_id: int
) -> None:
    started = time.monotonic()
    response = post(client, connection_id, signed())
    answered = time.monotonic() - started
    settle(client)

    assert (response.status_code, response.json()) == (202, {"status": "accepted"})
    assert answered < 1.0
    assert issue_numbers(app) == ["#1", "#2", "#3"]
    (run,) = runs(app, connection_id)
    assert (run.created, run.error) == (3, None)
    (event,) = webhook_events(app)
    assert (event.target, dict(event.detail)) == (
        f"tracker:{connection_id}",
        {"provider": "github", "delivery": "d-1"},
    )


def test_a_replayed_delivery_is_a_duplicate_and_syncs_nothing_more(
    app: Container, client: TestClient, connection_id: int, github: FakeGitHub
) -> None:
    post(client, connection_id, signed())
    settle(client)
    github.add_issue("acme/web")

    replay = post(client, connection_id, signed())
    settle(client)

    assert (replay.status_code, replay.json()) == (200, {"status": "duplicate"})
    assert len(runs(app, connection_id)) == 1
    assert issue_numbers(app) == ["#1", "#2", "#3"]
    assert len(webhook_events(app)) == 1


@pytest.mark.parametrize(
    "case", ["wrong secret", "no signature", "unknown connection", "no connection id"]
)
def test_an_unverified_delivery_is_refused_logged_without_body_and_syncs_nothing(
    app: Container, client: TestClient, connection_id: int, case: str
) -> None:
    headers = signed()
    target: int | str = connection_id
    if case == "wrong secret":
        headers = signed(secret="not-the-secret")
    elif case == "no signature":
        del headers["X-Hub-Signature-256"]
    elif case == "unknown connection":
        target = connection_id + 1000
    else:
        target = "seven"

    with structlog.testing.capture_logs() as events:
        response = post(client, target, headers)
    settle(client)

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "message": "the webhook signature is missing or wrong",
        }
    }
    assert runs(app, connection_id) == []
    assert issue_numbers(app) == []
    assert webhook_events(app) == []
    rejected = [e for e in events if e["event"] == "webhook.rejected"]
    assert [(e["provider"], e["log_level"]) for e in rejected] == [("github", "warning")]
    assert "BODY-CANARY" not in repr(events)
    assert SECRET not in repr(events)


def test_csrf_does_not_stop_a_signed_delivery_from_a_client_with_a_session(
    client: TestClient, connection_id: int
) -> None:
    client.get("/login")  # a session cookie with a CSRF token that the delivery does not send
    assert "aiops_session" in client.cookies
    assert client.post("/logout").status_code == 403  # CSRF still guards the browser routes

    response = post(client, connection_id, signed())
    settle(client)

    assert response.status_code == 202


def test_a_delivery_for_another_providers_route_is_refused(
    client: TestClient, connection_id: int
) -> None:
    gitlab = client.post(
        f"/hooks/gitlab?connection={connection_id}",
        content=BODY,
        headers={"X-Gitlab-Token": SECRET, "X-Gitlab-Webhook-UUID": "g-1"},
    )
    jira = client.post(f"/hooks/jira?connection={connection_id}", content=BODY, headers=signed())

    assert (gitlab.status_code, jira.status_code) == (401, 401)


def test_a_body_over_the_limit_is_refused_with_413(client: TestClient, connection_id: int) -> None:
    big = b"x" * (2 * 1024 * 1024)
    response = client.post(
        f"/hooks/github?connection={connection_id}", content=big, headers=signed(big)
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_fifty_replays_of_a_captured_delivery_under_fresh_ids_add_nothing(
    app: Container, client: TestClient, connection_id: int
) -> None:
    """The delivery id header is not signed: an attacker who captured one delivery replays its
    body and signature under new ids. Before the body digest, 44 of 50 were accepted."""
    first = post(client, connection_id, signed(delivery="d-original"))
    settle(client)

    replays = [post(client, connection_id, signed(delivery=f"d-{n}")) for n in range(50)]
    settle(client)

    assert first.status_code == 202
    assert {(r.status_code, r.json()["status"]) for r in replays} == {(200, "duplicate")}
    assert len(webhook_events(app)) == 1
    assert len(runs(app, connection_id)) == 1


def other_tracker(
    app: Container, provider: str, base_url: str, token: str, key: str
) -> tuple[int, int]:
    """A project with a connection to `provider` (and the signature it expects)."""
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    assert project.id is not None
    connection = app.add_tracker()(
        AddTrackerCommand(
            project_id=project.id,
            provider=provider,
            base_url=base_url,
            key=key,
            token=token,
            webhook_secret=SECRET,
        )
    )
    assert connection.id is not None
    return project.id, connection.id


@pytest.mark.parametrize("provider", ["gitlab", "jira"])
def test_gitlab_and_jira_replays_under_fresh_ids_are_duplicates(
    app: Container,
    client: TestClient,
    provider: str,
    gitlab: FakeGitLab,
    gitlab_url: str,
    jira: FakeJira,
    jira_url: str,
) -> None:
    if provider == "gitlab":
        _, connection = other_tracker(app, "gitlab", gitlab_url, GITLAB_TOKEN, "acme/platform/web")
        headers = {"X-Gitlab-Token": SECRET}
        id_header = "X-Gitlab-Webhook-UUID"
    else:
        _, connection = other_tracker(app, "jira", jira_url, jira.token, "OPS")
        digest = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature": f"sha256={digest}"}
        id_header = "X-Atlassian-Webhook-Identifier"

    answers = [
        client.post(
            f"/hooks/{provider}?connection={connection}",
            content=BODY,
            headers={**headers, id_header: f"id-{n}", "Content-Type": "application/json"},
        )
        for n in range(10)
    ]
    settle(client)

    assert [a.status_code for a in answers] == [202] + [200] * 9
    assert len(webhook_events(app)) == 1
