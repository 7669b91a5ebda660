"""The Starlette application: health and readiness now; the dashboard and API plug in here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from aiops import __version__
from aiops.adapters.errors import AdapterError
from aiops.adapters.sqlalchemy.migrations import ensure_current
from aiops.container import Container, bootstrap
from aiops.log import configure_logging, get_logger

log = get_logger(__name__)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


async def readyz(request: Request) -> Response:
    container: Container = request.app.state.container
    try:
        revision = await run_in_threadpool(ensure_current, container.engine())
    except AdapterError as error:
        return JSONResponse(
            {"error": {"code": error.code, "message": error.message}}, status_code=503
        )
    return JSONResponse({"status": "ready", "revision": revision})


async def home(_request: Request) -> Response:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>aiops</title></head>"
        f"<body><h1>aiops {__version__}</h1><p>The server is running. "
        "See <a href=/readyz>/readyz</a> for the database; manage tenants, projects and users "
        "with the <code>aiops</code> command line.</p></body></html>"
    )


def create_app(container: Container | None = None) -> Starlette:
    container = container or bootstrap()
    settings = container.settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        log.info("http.started", version=__version__)
        yield
        container.shutdown_resources()

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.container = container
    return app
