"""The Starlette application: middleware, routes and the error table, built from the container."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from aiops import __version__
from aiops.adapters.errors import AdapterError
from aiops.adapters.sqlalchemy.migrations import ensure_current
from aiops.container import Container, bootstrap
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.oidc import issuer_origins
from aiops.domain.usecases.sync_issues import SyncIssuesCommand
from aiops.entrypoints.http import (
    admin,
    agent_events,
    api,
    auth_routes,
    automation,
    issues,
    live,
    metrics,
    notifications,
    oidc_routes,
    pages,
    sessions,
    terminal,
    webhooks,
    workspaces,
    worktrees,
)
from aiops.entrypoints.http.admin.cli_tools import CliRuns
from aiops.entrypoints.http.errors import HANDLERS
from aiops.entrypoints.http.live import LiveStreams, LiveTiming, SessionFeed
from aiops.entrypoints.http.middleware import BodyLimit, Csrf, SecurityHeaders, Sessions
from aiops.entrypoints.http.page_cache import PageCache
from aiops.entrypoints.http.pane_refresh import PaneRefresh
from aiops.entrypoints.http.refresher import SnapshotRefresher
from aiops.entrypoints.http.run_stream import StreamTiming
from aiops.entrypoints.http.terminal import TerminalTiming
from aiops.entrypoints.http.web import HERE, call
from aiops.entrypoints.http.webhook_syncs import SyncConnection, WebhookSyncs
from aiops.entrypoints.scheduler import InProcessScheduler
from aiops.entrypoints.startup import (
    cancel_local_runs,
    check_secret_key_when_ready,
    reconcile_runs,
)
from aiops.log import configure_logging, get_logger

log = get_logger(__name__)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> Response:
    container: Container = request.app.state.container
    try:
        revision = await call(ensure_current, container.engine())
    except AdapterError as error:
        return JSONResponse(
            {"error": {"code": error.code, "message": error.message}}, status_code=503
        )
    return JSONResponse({"status": "ready", "revision": revision})


def all_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *auth_routes.routes,
        *oidc_routes.routes,
        *pages.routes,
        *notifications.routes,
        *workspaces.routes,
        *worktrees.routes,
        *issues.routes,
        *sessions.routes,
        *live.routes,
        *terminal.routes,
        *automation.routes,
        *admin.routes,
        *api.routes,
        *agent_events.routes,
        *webhooks.routes,
        *metrics.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def webhook_sync(container: Container) -> SyncConnection:
    """A targeted sync of one connection, as a verified webhook delivery asks for."""
    sync = container.sync_issues()

    def run(connection_id: int) -> None:
        for run in sync(SyncIssuesCommand(connection_id=connection_id, actor=SYSTEM)):
            log.info(
                "webhook.synced",
                connection=connection_id,
                created=run.created,
                updated=run.updated,
                error=run.error,
            )

    return run


def webhook_pull_sync(container: Container) -> SyncConnection:
    """A webhook's pull request sync of one connection (issue 19), then the loop's due steps
    at once (a review sent back to the agent), and a wake-up of the loop thread for the rest."""
    sync = container.sync_pull_requests()
    run_steps = container.run_loop_steps()
    wake = container.gateways.loop_wakeup()

    def run(connection_id: int) -> None:
        refreshed = sync(connection_id)
        ran = run_steps()
        log.info("webhook.pulls_synced", connection=connection_id, refreshed=refreshed, ran=ran)
        wake()

    return run


async def reconcile_sessions(container: Container) -> None:
    """Bring the recorded AI sessions in line with the tmux servers: nothing is left claiming
    to run. A failure (no tmux, a database not ready) is logged; serving goes on."""
    try:
        adopted, exited = await call(container.reconcile_sessions())
    except Exception as error:  # startup must not fail on this
        log.warning("sessions.reconcile_failed", error=f"{type(error).__name__}: {error}")
        return
    if adopted or exited:
        log.info("sessions.reconciled", adopted=adopted, exited=exited)


async def start_event_socket(app: Starlette, path: str) -> agent_events.EventSocket | None:
    """The agent-event socket (AIOPS_EVENT_SOCKET), when set; a failure to listen is logged
    (hooks then fall back to AIOPS_URL) and serving goes on."""
    if not path:
        return None
    events = agent_events.EventSocket(path, agent_events.event_writer(app).submit)
    try:
        await events.start()
    except OSError as error:
        log.warning("agent_events.socket_failed", socket=path, error=str(error))
        return None
    return events


class Stoppable(Protocol):
    def stop(self, timeout: float = 10.0) -> None: ...


def start_threads(container: Container) -> list[Stoppable]:
    """The background threads of the server: the notifications' delivery
    (AIOPS_NOTIFY_IN_PROCESS) and the issue-to-PR loop's runner (AIOPS_PR_LOOP_POLL_SECONDS)."""
    settings = container.settings()
    started: list[Stoppable] = []
    if settings.notify_in_process:
        deliverer = container.gateways.notice_wakeup()
        deliverer.start(container.deliver_notifications(), settings.notify_poll)
        started.append(deliverer)
    if settings.pr_loop_poll_seconds > 0:
        loop = container.gateways.loop_wakeup()
        loop.start(container.run_loop_steps(), settings.pr_loop_poll_seconds)
        started.append(loop)
    return started


# A request's worker thread gives up the GIL at each SQLite call and must win it back; under
# load it waited up to Python's 5 ms switch interval each time. At 1 ms the load test's read
# p99 on SQLite fell from 315-328 to 275-283 ms (bench/load.py, same machine, interleaved runs).
GIL_SWITCH_SECONDS = 0.001


def create_app(container: Container | None = None) -> Starlette:
    container = container or bootstrap()
    settings = container.settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    check_secret_key_when_ready(container)  # before anything (Sessions) asks for the key

    refresher = SnapshotRefresher(container.refresh_snapshot)
    webhook_syncs = WebhookSyncs(
        lambda: webhook_sync(container), pulls=lambda: webhook_pull_sync(container)
    )
    request_metrics = metrics.build_metrics(container)
    pane_refresh = PaneRefresh(container.reconcile_sessions, settings.session_refresh_seconds)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        log.info("http.started", version=__version__)
        await reconcile_sessions(container)
        await call(reconcile_runs, container)
        scheduler = InProcessScheduler(container) if settings.scheduler_in_process else None
        if scheduler:
            scheduler.start()
        threads = start_threads(container)
        events = await start_event_socket(_app, settings.event_socket)
        pane_refresh.start()
        yield
        await pane_refresh.stop()
        if events:
            await events.close()
        await agent_events.event_writer(_app).close()
        for thread in threads:
            await call(thread.stop)
        if scheduler:
            await call(scheduler.stop)
        await call(cancel_local_runs, container)
        refresher.shutdown()
        webhook_syncs.shutdown()
        container.shutdown_resources()

    app = Starlette(
        routes=all_routes(),
        middleware=[
            Middleware(metrics.RequestTiming, metrics=request_metrics),
            Middleware(SecurityHeaders, form_targets=issuer_origins(settings.oidc_provider_list)),
            Middleware(BodyLimit, limit=settings.max_body_bytes),
            Middleware(
                Sessions,
                secret_key=container.secret_key(),
                max_age=settings.session_hours * 3600,
            ),
            Middleware(Csrf),
        ],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.metrics = request_metrics
    app.state.page_cache = PageCache()
    app.state.refresher = refresher
    app.state.webhook_syncs = webhook_syncs
    app.state.cli_runs = CliRuns()
    app.state.run_stream_timing = StreamTiming()
    app.state.live_timing = LiveTiming()
    app.state.live_streams = LiveStreams()
    app.state.session_feed = SessionFeed(
        container.session_changes,
        container.live_sessions,
        lambda: float(app.state.live_timing.poll_seconds),
    )
    app.state.pane_refresh = pane_refresh
    app.state.terminal_timing = TerminalTiming(idle_seconds=settings.terminal_idle_minutes * 60)
    return app
