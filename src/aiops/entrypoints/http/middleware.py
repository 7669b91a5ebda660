"""ASGI middleware: security headers, a body size limit, sessions and CSRF.

Order (outermost first): SecurityHeaders -> BodyLimit -> Session -> Csrf -> routes.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
OTHER_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = b"x-csrf-token"
# Bearer-token API and signed webhooks carry no cookies, so CSRF cannot touch them.
CSRF_EXEMPT = ("/api/", "/hooks/")
# Machine clients: errors are JSON, never a page.
JSON_PATHS = ("/api/", "/hooks/")


def csp(form_targets: tuple[str, ...] = ()) -> str:
    """The pages' policy; `form_targets` are the origins a form's answer may redirect to (the
    identity providers' sign-out pages: Chromium applies form-action to the redirect after
    "Sign out")."""
    if not form_targets:
        return CSP
    return CSP.replace("form-action 'self'", f"form-action 'self' {' '.join(form_targets)}")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, form_targets: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = [(b"content-security-policy", csp(form_targets).encode()), *OTHER_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message["headers"]}
                message["headers"] = list(message["headers"]) + [
                    (name, value) for name, value in self.headers if name not in names
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_large(scope, self.limit)(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            await too_large(scope, self.limit)(scope, receive, send)


class BodyTooLarge(Exception):
    pass


def too_large(scope: Scope, limit: int) -> Response:
    message = f"request body larger than {limit} bytes"
    if scope["path"].startswith(JSON_PATHS):
        error = {"error": {"code": "too_large", "message": message}}
        return JSONResponse(error, status_code=413)
    return PlainTextResponse(message, status_code=413)


class Sessions:
    """Starlette's signed-cookie sessions (HttpOnly, SameSite=Lax), Secure on https requests.
    The cookie is re-signed on every response, so the lifetime counts from the last request."""

    def __init__(self, app: ASGIApp, secret_key: str, max_age: int) -> None:
        options: dict[str, Any] = {
            "secret_key": secret_key,
            "session_cookie": "aiops_session",
            "max_age": max_age,
            "same_site": "lax",
        }
        self.plain = SessionMiddleware(app, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") in ("https", "wss") else self.plain
        await chosen(scope, receive, send)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token (made on first use); forms carry it in a hidden field."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


class Csrf:
    """Synchronizer-token check for every state-changing browser request: the session's token
    must come back in the form field `csrf_token` or the X-CSRF-Token header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in UNSAFE_METHODS
            or scope["path"].startswith(CSRF_EXEMPT)
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        headers = dict(scope["headers"])
        sent = headers.get(CSRF_HEADER, b"").decode("latin-1") or _form_field(headers, body)
        expected = scope.get("session", {}).get("csrf")
        if not (isinstance(expected, str) and sent and hmac.compare_digest(sent, expected)):
            await forbidden_csrf(scope, receive, send)
            return
        await self.app(scope, _replay(body), send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _form_field(headers: dict[bytes, bytes], body: bytes) -> str:
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip()
    if content_type != b"application/x-www-form-urlencoded":
        return ""
    values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=1000).get(CSRF_FIELD)
    return values[0] if values else ""


async def forbidden_csrf(scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(
        "403 Forbidden: the form's security token is missing or stale. "
        "Go back, reload the page and try again.",
        status_code=403,
    )
    await response(scope, receive, send)
