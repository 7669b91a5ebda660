"""/metrics' pieces without a database: the families a snapshot becomes, the request timing
middleware on a small Starlette app, and the headroom a sync leaves for the scrape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from aiops.adapters.errors import DatabaseUnavailable
from aiops.domain.model.trackers import TrackerRateLimited
from aiops.entrypoints.http.metrics import Metrics, RequestTiming, bearer_matches
from aiops.ports.operation_counts import OperationsSnapshot
from tests.fakes import FakeClock, FakeOperationCounts, FakeRateLimitHeadroom
from tests.unit.test_sync_issues import World, remote

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(metrics: Metrics) -> Samples:
    body = metrics.exposition().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


def test_a_snapshot_becomes_the_families_with_zeros_for_known_labels() -> None:
    counts = FakeOperationCounts(
        OperationsSnapshot(
            sessions={("waiting", "claude"): 3},
            syncs={("gitlab", "error"): 4},
            last_sync={7: datetime(2026, 12, 3, 12, 0, tzinfo=UTC)},
            failing_connections={7: 1},
            rate_limit_remaining={7: 12},
            playbook_runs={"failed": 2, "someday-new": 1},
            job_lag_seconds={"nightly-sync": 4.5},
            notification_deliveries={"sent": 9},
        )
    )
    clock = FakeClock()
    found = scrape(Metrics(lambda: counts.snapshot(clock.now())))

    assert found[key("aiops_sessions", status="waiting", tool="claude")] == 3
    assert found[key("aiops_sessions", status="idle", tool="codex")] == 0
    assert key("aiops_sessions", status="exited", tool="codex") not in found
    assert found[key("aiops_tracker_syncs_last_hour", provider="gitlab", result="error")] == 4
    stamp = datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp()
    assert found[key("aiops_tracker_last_sync_timestamp_seconds", connection="7")] == stamp
    assert found[key("aiops_tracker_sync_failing", connection="7")] == 1
    assert found[key("aiops_tracker_rate_limit_remaining", connection="7")] == 12
    assert found[key("aiops_playbook_runs", status="failed")] == 2
    assert found[key("aiops_playbook_runs", status="queued")] == 0
    assert found[key("aiops_playbook_runs", status="someday-new")] == 1  # nothing is dropped
    assert found[key("aiops_job_lag_seconds", job="nightly-sync")] == 4.5
    assert found[key("aiops_notification_deliveries", status="sent")] == 9
    assert found[key("aiops_notification_deliveries", status="failed")] == 0
    assert found[key("aiops_database_up")] == 1
    assert counts.asked_at == [clock.now()]


def test_a_database_that_cannot_answer_is_a_zero_not_a_failed_scrape() -> None:
    def unreadable() -> OperationsSnapshot:
        raise DatabaseUnavailable("cannot connect to database sqlite:///gone.db")

    found = scrape(Metrics(unreadable))

    assert found[key("aiops_database_up")] == 0
    assert not any(name == "aiops_sessions" for name, _ in found)


async def hello(_request: Request) -> Response:
    return PlainTextResponse("hi")


async def broken(_request: Request) -> Response:
    raise RuntimeError("a bug")


async def stream(_request: Request) -> Response:
    async def forever() -> AsyncIterator[bytes]:
        yield b"first\n"
        yield b"second\n"

    return StreamingResponse(forever())


@pytest.fixture
def timed() -> tuple[TestClient, Metrics]:
    metrics = Metrics(OperationsSnapshot)
    app = Starlette(
        routes=[
            Route("/items/{item_id:int}", hello),
            Route("/broken", broken),
            Route("/stream", stream),
        ]
    )
    return TestClient(RequestTiming(app, metrics), raise_server_exceptions=False), metrics


def test_requests_are_counted_by_route_template_and_status_class(
    timed: tuple[TestClient, Metrics],
) -> None:
    client, metrics = timed
    for item in (1, 22, 333):
        assert client.get(f"/items/{item}").status_code == 200
    client.post("/items/4")  # 405: the route matched the path
    client.get("/nowhere/55")
    assert client.get("/broken").status_code == 500
    client.get("/stream")

    found = scrape(metrics)
    count = "aiops_http_request_duration_seconds_count"
    assert found[key(count, method="GET", route="/items/{item_id:int}", status="2xx")] == 3
    assert found[key(count, method="POST", route="/items/{item_id:int}", status="4xx")] == 1
    assert found[key(count, method="GET", route="unmatched", status="4xx")] == 1
    assert found[key(count, method="GET", route="/broken", status="5xx")] == 1
    assert found[key(count, method="GET", route="/stream", status="2xx")] == 1
    routes = {dict(labels).get("route") for name, labels in found if name.startswith("aiops_http")}
    assert not any(str(r).strip("/").split("/")[-1].isdigit() for r in routes)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer s3cret", True),
        ("bearer s3cret", True),
        ("Bearer s3cret ", True),
        ("Bearer s3cre", False),
        ("Bearer s3cretx", False),
        ("Basic s3cret", False),
        ("s3cret", False),
        ("", False),
        ("Bearer ", False),
    ],
)
def test_the_bearer_must_be_the_token(header: str, expected: bool) -> None:
    assert bearer_matches(header, "s3cret") is expected


def test_a_sync_leaves_the_tracker_s_headroom_for_the_scrape() -> None:
    world = World()
    headroom = FakeRateLimitHeadroom()
    world.app.gateways.rate_limit_headroom.override(headroom)
    connection_id = world.connection.id
    assert connection_id is not None
    world.github.put(remote(1))
    world.github.rate_limit_remaining = 4321

    world.sync()
    assert headroom.recorded == {connection_id: 4321}

    world.github.rate_limit_remaining = None  # an answer that does not say keeps the last
    world.sync()
    assert headroom.recorded == {connection_id: 4321}

    world.github.refusal = TrackerRateLimited(
        "api.github.com: rate limit reached", world.clock.now() + timedelta(minutes=5)
    )
    run = world.sync()
    assert run.error == "api.github.com: rate limit reached"  # type: ignore[attr-defined]
    assert headroom.recorded == {connection_id: 0}


def test_serve_starts_the_multiprocess_metrics_from_zero(tmp_path: Path) -> None:
    from aiops.entrypoints.cli.serve import clear_metrics_files

    (tmp_path / "histogram_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not prometheus-client's")

    assert clear_metrics_files({}) == 0
    assert clear_metrics_files({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_short_metrics_token_is_refused_without_being_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiops.config import ConfigError, load_settings

    monkeypatch.setenv("AIOPS_METRICS_TOKEN", "guessable-token")
    with pytest.raises(ConfigError, match="AIOPS_METRICS_TOKEN: must be at least 24") as raised:
        load_settings()
    assert "guessable-token" not in str(raised.value)

    monkeypatch.setenv("AIOPS_METRICS_TOKEN", "")  # empty: no token, loopback only
    assert load_settings().metrics_token is None
    token = "f" * 64
    monkeypatch.setenv("AIOPS_METRICS_TOKEN", token)
    settings = load_settings()
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == token
    assert token not in repr(settings)
