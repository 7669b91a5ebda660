"""GET /metrics on the real app, SQLite and PostgreSQL: who may scrape, what it reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from dependency_injector import providers
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from starlette.testclient import TestClient

from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.container import Container
from aiops.domain.model.automation import AutomationRun, RunStatus
from aiops.domain.model.jobs import Job, Schedule
from aiops.domain.model.sessions import AgentStatus, Tool
from aiops.domain.model.trackers import Provider, SyncRun, TrackerConnection
from aiops.entrypoints.http.app import create_app
from aiops.setting_values import SecretStr
from tests.fakes import FakeClock
from tests.integration.http.conftest import World
from tests.integration.test_agent_session_repository import session

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LOOPBACK = ("127.0.0.1", 40000)
TOKEN = "metrics-token-" + "x" * 32


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition (the parser fails on anything Prometheus would refuse)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(body: str, name: str, **labels: str) -> float:
    return samples(body)[(name, frozenset(labels.items()))]


@pytest.fixture
def clock(app: Container) -> Iterator[FakeClock]:
    fake = FakeClock(NOW)
    app.core.clock.override(providers.Object(fake))
    yield fake
    app.core.clock.reset_override()


def scraper(app: Container, client: tuple[str, int] = LOOPBACK) -> TestClient:
    return TestClient(create_app(app), client=client, follow_redirects=False)


def test_metrics_count_live_sessions_by_stored_status_and_tool(
    app: Container, world: World
) -> None:
    users = {u.email: u for u in app.list_users()()}
    owner = users[World.OWNER].id
    assert owner is not None
    rows = [
        session(owner, world.web_id, "a", tool=Tool.CLAUDE, status=AgentStatus.WAITING),
        session(owner, world.web_id, "b", tool=Tool.CLAUDE, status=AgentStatus.WAITING),
        session(owner, world.web_id, "c", tool=Tool.CODEX, status=AgentStatus.WORKING),
        session(owner, world.api_id, "d", tool=Tool.CLAUDE, status=AgentStatus.FINISHED),
        session(owner, world.api_id, "e", tool=Tool.SHELL, status=AgentStatus.EXITED),
    ]
    with scraper(app) as client:  # started: its reconciliation with tmux is behind it
        with app.uow() as uow:
            for row in rows:
                uow.agent_sessions.add(row)
            uow.commit()
        response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert value(body, "aiops_sessions", status="waiting", tool="claude") == 2
    assert value(body, "aiops_sessions", status="working", tool="codex") == 1
    assert value(body, "aiops_sessions", status="finished", tool="claude") == 1
    assert value(body, "aiops_sessions", status="idle", tool="gemini") == 0
    assert not any(
        name == "aiops_sessions" and ("status", "exited") in labels
        for name, labels in samples(body)
    )
    assert value(body, "aiops_database_up") == 1


def test_metrics_report_playbook_runs_job_lag_and_syncs(
    app: Container, world: World, clock: FakeClock
) -> None:
    run = AutomationRun(playbook="ping", inventory="local", started_by="ada", queued_at=NOW)
    sealed = app.secret_box().seal("a tracker token")
    with app.uow() as uow:
        for status in (RunStatus.FAILED, RunStatus.FAILED, RunStatus.SUCCESSFUL):
            uow.automation_runs.add(attrs.evolve(run, status=status))
        every = Schedule(every_seconds=300)
        uow.jobs.add(
            Job(name="late", kind="noop", schedule=every, next_run=NOW - timedelta(seconds=90))
        )
        uow.jobs.add(
            Job(name="early", kind="noop", schedule=every, next_run=NOW + timedelta(seconds=60))
        )
        uow.jobs.add(
            Job(
                name="off",
                kind="noop",
                schedule=every,
                enabled=False,
                next_run=NOW - timedelta(hours=5),
            )
        )
        github, jira = (
            uow.trackers.add(
                TrackerConnection(
                    project_id=project_id,
                    provider=provider,
                    base_url=f"https://{provider.value}.example.com",
                    key=key,
                    token_sealed=sealed,
                    last_error=error,
                )
            )
            for project_id, provider, key, error in (
                (world.web_id, Provider.GITHUB, "acme/web", "rate limit reached"),
                (world.api_id, Provider.JIRA, "API", None),
            )
        )
        assert github.id is not None and jira.id is not None  # noqa: PT018
        synced = SyncRun(connection_id=github.id, started_at=NOW, finished_at=NOW)
        for error in (None, None, "rate limit reached"):
            uow.sync_runs.add(attrs.evolve(synced, error=error))
        uow.sync_runs.add(attrs.evolve(synced, connection_id=jira.id))
        hours_ago = NOW - timedelta(hours=2)  # out of the window: counted nowhere
        uow.sync_runs.add(
            attrs.evolve(synced, started_at=hours_ago, finished_at=hours_ago, error="old")
        )
        uow.commit()
    app.gateways.rate_limit_headroom().record(github.id, 42)

    with scraper(app) as client:
        body = client.get("/metrics").text

    assert value(body, "aiops_playbook_runs", status="failed") == 2
    assert value(body, "aiops_playbook_runs", status="successful") == 1
    assert value(body, "aiops_playbook_runs", status="running") == 0
    assert value(body, "aiops_job_lag_seconds", job="late") == 90
    assert value(body, "aiops_job_lag_seconds", job="early") == 0
    assert ("aiops_job_lag_seconds", frozenset({("job", "off")})) not in samples(body)
    assert value(body, "aiops_tracker_syncs_last_hour", provider="github", result="ok") == 2
    assert value(body, "aiops_tracker_syncs_last_hour", provider="github", result="error") == 1
    assert value(body, "aiops_tracker_syncs_last_hour", provider="jira", result="ok") == 1
    assert value(body, "aiops_tracker_syncs_last_hour", provider="jira", result="error") == 0
    last = "aiops_tracker_last_sync_timestamp_seconds"
    assert value(body, last, connection=str(github.id)) == NOW.timestamp()
    assert value(body, last, connection=str(jira.id)) == NOW.timestamp()
    assert value(body, "aiops_tracker_sync_failing", connection=str(github.id)) == 1
    assert value(body, "aiops_tracker_sync_failing", connection=str(jira.id)) == 0
    assert value(body, "aiops_tracker_rate_limit_remaining", connection=str(github.id)) == 42


def test_metrics_count_notification_deliveries_by_status(app: Container) -> None:
    engine = make_engine(app.settings().database_url)  # each app's shutdown disposes the app's
    try:
        with scraper(app) as client:
            before = client.get("/metrics").text
        assert value(before, "aiops_notification_deliveries", status="queued") == 0
        with engine.begin() as connection:
            tenant = connection.execute(
                text("INSERT INTO tenants (slug, name, color) VALUES ('m', 'M', '#112233') "
                     "RETURNING id")
            ).scalar_one()  # fmt: skip
            target = connection.execute(
                text("INSERT INTO notification_targets (tenant_id, label, url_sealed, url_masked, "
                     "events, created_at) VALUES (:tenant, 'team', 'sealed', 'json://x…', "
                     "'run-failed', :now) RETURNING id"),
                {"tenant": tenant, "now": NOW},
            ).scalar_one()  # fmt: skip
            for n, status in enumerate(["queued", "sent", "sent", "failed"]):
                connection.execute(
                    text("INSERT INTO notice_deliveries (target_id, dedup_key, event, title, "
                         "body, status, attempts, next_attempt_at, created_at) VALUES (:target, "
                         ":key, 'run-failed', 't', 'b', :status, 1, :now, :now)"),
                    {"target": target, "key": f"k{n}", "status": status, "now": NOW},
                )  # fmt: skip
        with scraper(app) as client:
            body = client.get("/metrics").text
        assert value(body, "aiops_notification_deliveries", status="sent") == 2
        assert value(body, "aiops_notification_deliveries", status="queued") == 1
        assert value(body, "aiops_notification_deliveries", status="failed") == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
def test_without_a_token_loopback_clients_may_scrape(app: Container, address: str) -> None:
    with scraper(app, (address, 40000)) as client:
        assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("address", ["10.0.0.7", "192.168.1.2", "2001:db8::1", "testclient"])
def test_without_a_token_other_clients_get_the_404_of_an_unknown_page(
    app: Container, address: str
) -> None:
    with scraper(app, (address, 40000)) as client:
        refused = client.get("/metrics")
        unknown = client.get("/no-such-page")
    assert refused.status_code == 404
    assert "aiops_" not in refused.text
    assert refused.headers["content-type"] == unknown.headers["content-type"]


@pytest.fixture
def with_token(app: Container) -> Iterator[Container]:
    settings = attrs.evolve(app.settings(), metrics_token=SecretStr(TOKEN))
    app.core.settings.override(providers.Object(settings))
    yield app
    app.core.settings.reset_override()


@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer "],
)
def test_with_a_token_a_request_without_it_gets_401_even_from_loopback(
    with_token: Container, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with scraper(with_token) as client:
        response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert TOKEN not in response.text


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7"])
def test_with_a_token_the_right_bearer_scrapes_from_anywhere(
    with_token: Container, address: str
) -> None:
    with scraper(with_token, (address, 40000)) as client:
        response = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert value(response.text, "aiops_database_up") == 1


def test_a_signed_in_cookie_is_no_way_in(app: Container, world: World) -> None:
    from tests.integration.http.conftest import sign_in

    with scraper(app, ("10.0.0.7", 40000)) as client:
        sign_in(client, World.ADMIN)
        assert client.get("/metrics").status_code == 404


def test_request_histogram_counts_grow_by_route_template_without_ids(
    app: Container, world: World
) -> None:
    token = {"Authorization": f"Bearer {world.tokens[World.ADMIN]}"}
    with scraper(app) as client:
        before = samples(client.get("/metrics").text)
        for run_id in (101, 202, 303):
            assert client.get(f"/api/v1/runs/{run_id}", headers=token).status_code == 404
        client.get("/healthz")
        client.get("/no/such/page/12345")
        after = samples(client.get("/metrics").text)

    def count(
        samples_: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str
    ) -> float:
        key = ("aiops_http_request_duration_seconds_count", frozenset(labels.items()))
        return samples_.get(key, 0)

    run = {"method": "GET", "route": "/api/v1/runs/{run_id:int}", "status": "4xx"}
    assert count(after, **run) - count(before, **run) == 3
    health = {"method": "GET", "route": "/healthz", "status": "2xx"}
    assert count(after, **health) - count(before, **health) == 1
    unmatched = {"method": "GET", "route": "unmatched", "status": "4xx"}
    assert count(after, **unmatched) - count(before, **unmatched) == 1
    routes = {
        dict(labels).get("route", "")
        for name, labels in after
        if name.startswith("aiops_http_request_duration_seconds")
    }
    assert not any(any(ch.isdigit() for ch in r.replace("v1", "")) for r in routes), routes
    bucket = (
        "aiops_http_request_duration_seconds_bucket",
        frozenset({**run, "le": "+Inf"}.items()),
    )
    assert after[bucket] == count(after, **run)


def test_a_database_that_cannot_be_read_is_reported_not_a_failed_scrape(
    app: Container, tmp_path: object
) -> None:
    from aiops.adapters.sqlalchemy.operation_counts import SqlAlchemyOperationCounts

    gone = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    broken = SqlAlchemyOperationCounts(engine=gone, headroom=app.gateways.rate_limit_headroom())
    app.gateways.operation_counts.override(providers.Object(broken))
    try:
        with scraper(app) as client:
            client.get("/healthz")
            response = client.get("/metrics")
    finally:
        app.gateways.operation_counts.reset_override()
        gone.dispose()
    assert response.status_code == 200
    assert value(response.text, "aiops_database_up") == 0
    assert (
        value(
            response.text,
            "aiops_http_request_duration_seconds_count",
            method="GET",
            route="/healthz",
            status="2xx",
        )
        == 1
    )
