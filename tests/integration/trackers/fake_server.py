"""What every fake tracker shares: the request log entry, a uvicorn server on 127.0.0.1, the
switch that fails the next writes, and signed webhook deliveries to aiops."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import attrs
import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp


@attrs.frozen
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names, Authorization left out
    body: object = None  # a write's JSON body


async def json_body(request: Request) -> object:
    """The request's JSON body (None when it has none or it is not JSON)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def failed_write(statuses: list[int], request: Request) -> Response | None:
    """The answer for a write when a test queued failures (`fake.fail_writes = [502, 429]`):
    the first status is taken off the queue. 429 comes with `Retry-After: 1`; 403 as a token
    lacking the permission."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not statuses:
        return None
    status = statuses.pop(0)
    if status == 429:
        return JSONResponse({"message": "rate limited"}, 429, headers={"Retry-After": "1"})
    if status == 403:
        return JSONResponse({"message": "Resource not accessible by token"}, 403)
    return JSONResponse({"message": f"failed ({status})"}, status)


def deliver_webhook(
    url: str, secret: str, event: str, payload: Mapping[str, object], *, delivery: str = ""
) -> httpx.Response:
    """POST a GitHub webhook delivery to aiops at `url` (e.g. `/hooks/github?connection=1`),
    signed as GitHub signs (`X-Hub-Signature-256`), with `X-GitHub-Event` and a delivery id."""
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": f"sha256={digest}",
    }
    return httpx.post(url, content=body, headers=headers, timeout=10)


def deliver_gitlab_webhook(
    url: str, secret: str, event: str, payload: Mapping[str, object], *, delivery: str = ""
) -> httpx.Response:
    """POST a GitLab webhook delivery (`X-Gitlab-Event` such as "Merge Request Hook",
    `X-Gitlab-Token` the secret itself, `X-Gitlab-Webhook-UUID`) to aiops at `url`."""
    headers = {
        "Content-Type": "application/json",
        "X-Gitlab-Event": event,
        "X-Gitlab-Token": secret,
        "X-Gitlab-Webhook-UUID": delivery or str(uuid.uuid4()),
    }
    return httpx.post(url, content=json.dumps(payload).encode(), headers=headers, timeout=10)


@contextmanager
def serve_app(app: ASGIApp, *, name: str = "fake tracker") -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1 in a thread until the block ends; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(  # no Date of uvicorn's: a fake's clock is its test's to set
        app, log_level="warning", lifespan="off", access_log=False, date_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the {name} did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
