"""POST /hooks/{github,gitlab,jira}?connection=<id>: a tracker's signed delivery.

No session, no CSRF token (the Csrf middleware exempts /hooks/): the signature is the
authentication. A verified delivery is answered 202 at once and synced in the background;
a repeated one 200 {"status": "duplicate"}; anything else 401, logged without body or secrets.
A pull request's event (X-GitHub-Event / X-Gitlab-Event) syncs the connection's pull requests
only, then runs the loop's due steps; an issue's, its issues only; others both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiops.domain.model.trackers import Provider
from aiops.domain.model.webhooks import SCHEMES, WebhookOutcome, WebhookRejected
from aiops.domain.usecases.webhooks import ReceiveWebhookCommand
from aiops.entrypoints.http import webhook_syncs
from aiops.entrypoints.http.web import call, container
from aiops.log import get_logger

log = get_logger(__name__)
PREFIX = "/hooks"
ID_DIGITS = 9  # ids are 32-bit INTEGER columns
# What names the delivery's event: it decides whether issues, pull requests or both are synced
EVENT_HEADERS = {Provider.GITHUB: "x-github-event", Provider.GITLAB: "x-gitlab-event"}


def connection_id(value: str | None) -> int | None:
    """The `connection` query parameter, or None when it is not an id."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > ID_DIGITS:
        return None
    return int(value)


async def receive(request: Request, provider: Provider) -> Response:
    body = await request.body()
    wanted = SCHEMES[provider].headers
    cmd = ReceiveWebhookCommand(
        provider=provider,
        connection_id=connection_id(request.query_params.get("connection")),
        headers={name: request.headers[name] for name in wanted if name in request.headers},
        body=body,
    )
    event = {"provider": provider.value, "connection": cmd.connection_id}
    try:
        outcome = await call(container(request).receive_webhook(), cmd)
    except WebhookRejected as error:
        log.warning("webhook.rejected", reason=error.reason, **event)
        raise
    if outcome is WebhookOutcome.DUPLICATE:
        log.info("webhook.duplicate", **event)
        return JSONResponse({"status": outcome.value})
    assert cmd.connection_id is not None
    kind = request.headers.get(EVENT_HEADERS.get(provider, ""))
    issues, pulls = webhook_syncs.wanted(provider.value, kind)
    request.app.state.webhook_syncs.request(cmd.connection_id, issues=issues, pulls=pulls)
    log.info("webhook.accepted", **event)
    return JSONResponse({"status": outcome.value}, status_code=202)


def endpoint(provider: Provider) -> Callable[[Request], Awaitable[Response]]:
    async def hook(request: Request) -> Response:
        return await receive(request, provider)

    hook.__name__ = f"{provider.value}_hook"
    return hook


routes = [
    Route(f"{PREFIX}/{provider.value}", endpoint(provider), methods=["POST"])
    for provider in Provider
]
