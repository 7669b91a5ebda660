"""GET /metrics for Prometheus (text format, prometheus-client), and the request timing.

Who may scrape: with AIOPS_METRICS_TOKEN set, a request carrying `Authorization: Bearer
<token>` (compared in constant time; anything else gets 401); without it, only a client on
the loopback (127.0.0.0/8, ::1), others get the 404 of any unknown page. Never a cookie.

What a scrape reports: the stored state, read from the database at scrape time (the same in
every worker: sessions, syncs, playbook runs, job lag, notification deliveries), the trackers'
rate-limit headroom this process saw, and the request-duration histogram. The histogram lives
in each worker's own registry unless PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess
mode) is set, then a scrape merges every worker's (docs/guide/administration.md, "Metrics").
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aiops.adapters.errors import AdapterError
from aiops.container import Container
from aiops.domain.model.automation import RunStatus
from aiops.domain.model.sessions import AgentStatus, Tool
from aiops.entrypoints.http.web import call
from aiops.log import get_logger
from aiops.ports.operation_counts import OperationCounts, OperationsSnapshot

log = get_logger(__name__)

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # a request no route answered: never its raw path (ids, probes)
LIVE_STATUSES = [s.value for s in AgentStatus if s is not AgentStatus.EXITED]
DELIVERY_STATUSES = ("queued", "sent", "failed")


class OperationsCollector(Collector):
    """The database's figures, read once per scrape (custom collector: nothing is cached)."""

    def __init__(self, read: Callable[[], OperationsSnapshot]) -> None:
        self._read = read

    def describe(self) -> Iterable[Metric]:
        return []  # registering reads nothing; the names are checked at the first scrape

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("aiops_database_up", "1 when the figures below could be read")
        try:
            snapshot = self._read()
        except AdapterError as error:
            log.warning("metrics.read_failed", code=error.code, message=error.message)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families(snapshot)]


def families(s: OperationsSnapshot) -> list[Metric]:
    grid = [(status, tool.value) for status in LIVE_STATUSES for tool in Tool]
    runs = [r.value for r in RunStatus]
    return [
        _gauge(
            "aiops_sessions",
            "AI sessions not exited, by stored status",
            ("status", "tool"),
            {key: s.sessions.get(key, 0) for key in grid},
        ),
        _gauge(
            "aiops_tracker_syncs_last_hour",
            "Tracker sync runs started in the last hour",
            ("provider", "result"),
            s.syncs,
        ),
        _gauge(
            "aiops_tracker_last_sync_timestamp_seconds",
            "When the connection's last sync started (Unix time)",
            ("connection",),
            {connection: at.timestamp() for connection, at in s.last_sync.items()},
        ),
        _gauge(
            "aiops_tracker_sync_failing",
            "1 when the connection's last sync failed",
            ("connection",),
            s.failing_connections,
        ),
        _gauge(
            "aiops_tracker_rate_limit_remaining",
            "Requests left in the tracker's rate-limit window, as this process last saw them",
            ("connection",),
            s.rate_limit_remaining,
        ),
        _gauge(
            "aiops_playbook_runs",
            "Playbook runs by status",
            ("status",),
            _with_zeros(runs, s.playbook_runs),
        ),
        _gauge(
            "aiops_job_lag_seconds",
            "How long an enabled job is overdue (0: not due)",
            ("job",),
            s.job_lag_seconds,
        ),
        _gauge(
            "aiops_notification_deliveries",
            "Notification deliveries by status",
            ("status",),
            _with_zeros(DELIVERY_STATUSES, s.notification_deliveries),
        ),
    ]


def _gauge(
    name: str, doc: str, labels: Sequence[str], values: Mapping[Any, float]
) -> GaugeMetricFamily:
    """One family; a key is the label value, or a tuple of them in `labels`' order."""
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    for key, value in sorted(values.items()):
        family.add_metric(
            [str(part) for part in (key if isinstance(key, tuple) else (key,))], value
        )
    return family


def _with_zeros(known: Sequence[str], counts: Mapping[str, int]) -> dict[str, int]:
    """Every known status (0 when none), and any other the database holds."""
    return {status: counts.get(status, 0) for status in [*known, *counts]}


class Metrics:
    """One app's registry: the request histogram and the database collector."""

    def __init__(self, read: Callable[[], OperationsSnapshot]) -> None:
        self.registry = CollectorRegistry()
        multiprocess = os.environ.get(MULTIPROC_DIR)
        if multiprocess:  # the histogram's values live in files every worker writes
            MultiProcessCollector(self.registry, path=multiprocess)  # type: ignore[no-untyped-call]
        self.requests = Histogram(
            "aiops_http_request_duration_seconds",
            "Time to the response's first byte, by method, route template and status class",
            ["method", "route", "status"],
            registry=None if multiprocess else self.registry,
        )
        self.registry.register(OperationsCollector(read))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def build_metrics(container: Container) -> Metrics:
    def read() -> OperationsSnapshot:
        counts: OperationCounts = container.operation_counts()
        now: datetime = container.clock().now()
        return counts.snapshot(now)

    return Metrics(read)


async def metrics(request: Request) -> Response:
    container: Container = request.app.state.container
    token = container.settings().metrics_token
    if token is None:
        if not from_loopback(request):
            raise HTTPException(404)
    elif not bearer_matches(request.headers.get("authorization", ""), token.get_secret_value()):
        return JSONResponse(
            {"error": {"code": "bad_token", "message": "a valid metrics bearer token is required"}},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = await call(request.app.state.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def from_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bearer_matches(header: str, expected: str) -> bool:
    scheme, _, given = header.partition(" ")
    # compare_digest takes the same time whatever the first differing byte
    matches = hmac.compare_digest(given.strip().encode(), expected.encode())
    return scheme.lower() == "bearer" and matches


class RequestTiming:
    """Pure ASGI: observes each HTTP request's time to its response's first byte (a stream,
    an SSE feed, takes as long as its headers took), labelled by the matched route's template,
    never the raw path."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.requests = metrics.requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        observed = False

        async def timed(message: Message) -> None:
            nonlocal observed
            if message["type"] == "http.response.start" and not observed:
                observed = True
                self._observe(scope, message["status"], time.perf_counter() - start)
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            if not observed:  # failed before answering: the error page is answered outside
                self._observe(scope, 500, time.perf_counter() - start)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED
        self.requests.labels(scope["method"], template, f"{status // 100}xx").observe(seconds)


routes: list[BaseRoute] = [Route("/metrics", metrics, methods=["GET"])]
