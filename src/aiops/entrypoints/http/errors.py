"""One table from errors to responses: a page for browsers, JSON under /api/."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Route

from aiops.adapters.errors import AdapterError
from aiops.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationError,
)
from aiops.domain.model.workspaces import RemoteFailed
from aiops.entrypoints.http.middleware import JSON_PATHS
from aiops.entrypoints.http.web import SignInRequired, render
from aiops.log import get_logger

log = get_logger(__name__)

STATUS: dict[type[Exception], int] = {
    ValidationError: 400,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    RemoteFailed: 502,
}
TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
    502: "The git remote failed",
    503: "Unavailable",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(JSON_PATHS)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    details: Mapping[str, object] | None = None,
) -> Response:
    headers = {"Retry-After": "60"} if status == 429 else dict(headers or {})
    if is_api(request):
        body = {"error": {"code": code, "message": message, **(details or {})}}
        return JSONResponse(body, status_code=status, headers=headers)
    response = render(
        request,
        "error.html",
        status_code=status,
        title=TITLES.get(status, "Error"),
        message=message,
        status=status,
    )
    if headers:
        response.headers.update(headers)
    return response


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    status = next((s for cls, s in STATUS.items() if isinstance(error, cls)), 400)
    files = getattr(error, "files", None)  # merge conflicts and dirty trees name their files
    details: dict[str, object] = {"files": list(files)} if files is not None else {}
    commits = getattr(error, "commits", None)  # a worktree's unpushed commits
    if commits is not None:
        details["commits"] = list(commits)
    return error_response(request, status, error.code, error.message, details=details)


async def adapter_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AdapterError)
    log.warning("http.unavailable", code=error.code, message=error.message)
    retry = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return error_response(request, 503, error.code, error.message, headers=retry)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    message = {404: "no such page", 405: "method not allowed"}.get(
        error.status_code, str(error.detail)
    )
    headers = dict(error.headers or {})
    if error.status_code == 405 and (methods := allowed_methods(request)):
        headers["Allow"] = ", ".join(methods)
    return error_response(request, error.status_code, code, message, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (RFC 9110: a 405 says which).
    Starlette's own Allow names only the first route that matched the path, and aiops has a
    route per method."""
    scope = {**request.scope, "method": "GET"}
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE and isinstance(route, Route) and route.methods:
            methods |= route.methods
    return sorted(methods)


async def sign_in_required(request: Request, _error: Exception) -> Response:
    if is_api(request):
        return error_response(request, 401, "unauthenticated", "a bearer token is required")
    target = request.url.path if request.method == "GET" else "/"
    return RedirectResponse(f"/login?next={target}", status_code=303)


async def server_error(request: Request, error: Exception) -> Response:
    log.error("http.unhandled", path=request.url.path, error=type(error).__name__)
    return error_response(request, 500, "internal", "an unexpected error happened; it was logged")


HANDLERS = {
    DomainError: domain_error,
    AdapterError: adapter_error,
    HTTPException: http_error,
    SignInRequired: sign_in_required,
    Exception: server_error,
}
