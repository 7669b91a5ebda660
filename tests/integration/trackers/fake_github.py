"""A fake GitHub REST API for the adapter's tests: Starlette, served by uvicorn on 127.0.0.1 in a
background thread. Tests mutate its repositories and switches and assert on its request log."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.integration.trackers.fake_server import Recorded, serve_app

TOKEN = "ghp_fake_good_token"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def github_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@attrs.define
class FakeGitHub:
    """State of the fake; every switch may be changed by a test between requests."""

    token: str = TOKEN
    repos: dict[str, list[dict[str, object]]] = attrs.field(factory=dict)
    requests: list[Recorded] = attrs.field(factory=list)
    rate_limit: int = 5000  # requests left in the window
    rate_reset: int = attrs.field(factory=lambda: int(time.time()) + 3600)
    retry_after: int | None = None  # answer 429 with this Retry-After while set
    fail_next: int = 0  # transient 500s before answering
    delay: float = 0.0  # seconds each answer takes
    redirect: dict[str, str] = attrs.field(factory=dict)  # path -> Location
    garbage: bytes | None = None  # answer /issues with this body instead of the issues
    endless: str | None = None  # "repeat" (next = this page) or "grow" (next = page + 1)
    in_flight: int = 0
    max_in_flight: int = 0
    _next_id: int = 1000

    def add_repo(self, key: str) -> list[dict[str, object]]:
        return self.repos.setdefault(key, [])

    def add_issue(
        self, key: str, *, updated: datetime | None = None, pull_request: bool = False
    ) -> dict[str, object]:
        items = self.add_repo(key)
        self._next_id += 1
        number = len(items) + 1
        moment = updated or EPOCH + timedelta(minutes=number)
        item: dict[str, object] = {
            "id": self._next_id,
            "number": number,
            "title": f"Issue {number}",
            "body": None if number % 7 == 0 else f"Body of {number}",
            "state": "closed" if number % 5 == 0 else "open",
            "labels": [{"name": "bug"}] if number % 2 else [],
            "assignees": [{"login": "alice"}] if number % 3 == 0 else [],
            "html_url": f"https://github.example/{key}/issues/{number}",
            "created_at": github_time(EPOCH),
            "updated_at": github_time(moment),
        }
        if pull_request:
            item["pull_request"] = {"url": f"https://github.example/{key}/pull/{number}"}
        items.append(item)
        return item

    def list_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/issues")]


def _rate_headers(fake: FakeGitHub) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": str(fake.rate_limit),
        "X-RateLimit-Reset": str(fake.rate_reset),
    }


async def _gate(fake: FakeGitHub, request: Request) -> Response | None:
    """Record the request, then answer what applies to every route (or None)."""
    headers = {k: v for k, v in request.headers.items() if k != "authorization"}
    fake.requests.append(
        Recorded(request.method, request.url.path, dict(request.query_params), headers)
    )
    fake.in_flight += 1
    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
    try:
        if fake.delay:
            await asyncio.sleep(fake.delay)
    finally:
        fake.in_flight -= 1
    refusal = _refusal(fake, request)
    if refusal is None:
        fake.rate_limit -= 1
        key = f"{request.path_params['owner']}/{request.path_params['repo']}"
        if key not in fake.repos:
            return JSONResponse({"message": "Not Found"}, 404, headers=_rate_headers(fake))
    return refusal


def _refusal(fake: FakeGitHub, request: Request) -> Response | None:
    if fake.fail_next > 0:
        fake.fail_next -= 1
        return JSONResponse({"message": "Server Error"}, status_code=500)
    if request.url.path in fake.redirect:
        return Response(status_code=302, headers={"Location": fake.redirect[request.url.path]})
    if request.headers.get("authorization") != f"Bearer {fake.token}":
        return JSONResponse({"message": "Bad credentials"}, status_code=401)
    if fake.retry_after is not None:
        headers = {"Retry-After": str(fake.retry_after)}
        return JSONResponse({"message": "secondary rate limit"}, status_code=429, headers=headers)
    if fake.rate_limit <= 0:
        message = {"message": "API rate limit exceeded"}
        return JSONResponse(message, status_code=403, headers=_rate_headers(fake))
    return None


def _selected(fake: FakeGitHub, request: Request, key: str) -> list[dict[str, object]]:
    query = request.query_params
    state = query.get("state", "open")
    items = [i for i in fake.repos[key] if state == "all" or i["state"] == state]
    if "since" in query:
        items = [i for i in items if str(i["updated_at"]) >= query["since"]]
    field = "updated_at" if query.get("sort", "created") == "updated" else "created_at"
    return sorted(
        items,
        key=lambda i: (str(i[field]), int(str(i["id"]))),
        reverse=query.get("direction") != "asc",
    )


def make_app(current: Callable[[], FakeGitHub]) -> Starlette:
    async def repository(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        key = f"{request.path_params['owner']}/{request.path_params['repo']}"
        count = sum(1 for i in fake.repos[key] if i["state"] == "open")
        body = {"full_name": key, "open_issues_count": count}
        return JSONResponse(body, headers=_rate_headers(fake))

    async def issues(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        key = f"{request.path_params['owner']}/{request.path_params['repo']}"
        per_page = min(int(request.query_params.get("per_page", "30")), 100)
        page = int(request.query_params.get("page", "1"))
        if fake.garbage is not None:
            return Response(fake.garbage, media_type="application/json")
        items = _selected(fake, request, key)
        body = json.dumps(items[(page - 1) * per_page : page * per_page]).encode()
        etag = '"' + hashlib.sha256(body + str(page).encode()).hexdigest()[:32] + '"'
        headers = _rate_headers(fake) | {"ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        following = {"repeat": page, "grow": page + 1}.get(fake.endless or "")
        if following is None and page * per_page < len(items):
            following = page + 1
        if following is not None:
            next_url = request.url.include_query_params(page=following)
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(body, media_type="application/json", headers=headers)

    routes = [
        Route("/repos/{owner}/{repo}", repository),
        Route("/repos/{owner}/{repo}/issues", issues),
    ]
    return Starlette(routes=routes)


@contextmanager
def serve(current: Callable[[], FakeGitHub]) -> Iterator[str]:
    """Serve `current()` on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    with serve_app(make_app(current), name="fake GitHub") as url:
        yield url
