"""A fake GitLab REST API v4 for the adapter's tests, served by fake_server.serve_app on
127.0.0.1. Tests mutate its projects and switches and assert on its request log."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.integration.trackers.fake_server import Recorded, serve_app

TOKEN = "glpat-fake-good-token"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
Item = dict[str, object]


def gitlab_time(moment: datetime) -> str:
    """GitLab's shape: milliseconds and Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@attrs.define
class FakeProject:
    id: int
    path: str
    issues: list[Item] = attrs.field(factory=list)
    issues_enabled: bool = True


@attrs.define
class FakeGitLab:
    """State of the fake; every switch may be changed by a test between requests."""

    token: str = TOKEN
    projects: dict[str, FakeProject] = attrs.field(factory=dict)  # by path
    requests: list[Recorded] = attrs.field(factory=list)
    raw_paths: list[str] = attrs.field(factory=list)  # as sent, %2F and all
    keyset: bool = True  # answer pagination=keyset with Link pages, else offset (X-Next-Page)
    keyset_refused: bool = False  # answer pagination=keyset with 405, as some GitLabs do
    rate_limit: int = 2000  # requests left in the window
    rate_reset: int = attrs.field(factory=lambda: int(time.time()) + 60)
    clock: datetime | None = None  # sent as the Date header while set
    retry_after: int | None = None  # answer 429 with this Retry-After while set
    fail_next: int = 0  # transient 500s before answering
    garbage: tuple[bytes, str] | None = None  # (body, content type) instead of any answer
    endless: str | None = None  # "repeat" (next = this page) or "grow" (next = page + 1)
    delay: float = 0.0  # seconds each answer takes
    etag: str | None = None  # GitLab promises no ETag on issue lists; sent (and matched) if set
    in_flight: int = 0
    max_in_flight: int = 0
    _next_id: int = 5000

    def add_project(self, path: str) -> FakeProject:
        if path not in self.projects:
            self.projects[path] = FakeProject(id=100 + len(self.projects), path=path)
        return self.projects[path]

    def add_issue(self, path: str, *, updated: datetime | None = None) -> Item:
        issues = self.add_project(path).issues
        self._next_id += 1
        iid = len(issues) + 1
        moment = updated or EPOCH + timedelta(minutes=iid, milliseconds=iid)
        item: Item = {
            "id": self._next_id,
            "iid": iid,
            "project_id": self.projects[path].id,
            "title": f"Issue {iid}",
            "description": None if iid % 7 == 0 else f"Body of {iid}",
            "state": "closed" if iid % 5 == 0 else "opened",
            "labels": ["bug"] if iid % 2 else [],
            "assignees": [{"id": 9, "username": "alice", "name": "Alice"}] if iid % 3 == 0 else [],
            "web_url": f"https://gitlab.example/{path}/-/issues/{iid}",
            "created_at": gitlab_time(EPOCH),
            "updated_at": gitlab_time(moment),
        }
        issues.append(item)
        return item

    def list_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/issues")]

    def project(self, key: str) -> FakeProject | None:
        if key.isdigit():
            return next((p for p in self.projects.values() if p.id == int(key)), None)
        return self.projects.get(key)


def _rate_headers(fake: FakeGitLab) -> dict[str, str]:
    headers = {
        "RateLimit-Limit": "2000",
        "RateLimit-Remaining": str(max(fake.rate_limit, 0)),
        "RateLimit-Reset": str(fake.rate_reset),
    }
    if fake.clock is not None:
        headers["Date"] = format_datetime(fake.clock, usegmt=True)
    return headers


async def _gate(fake: FakeGitLab, request: Request) -> Response | FakeProject:
    """Record the request, then refuse it or give the project it names."""
    secret = ("authorization", "private-token")
    headers = {k: v for k, v in request.headers.items() if k not in secret}
    fake.requests.append(
        Recorded(request.method, request.url.path, dict(request.query_params), headers)
    )
    fake.raw_paths.append(request.scope["raw_path"].decode())
    fake.in_flight += 1
    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
    try:
        if fake.delay:
            await asyncio.sleep(fake.delay)
    finally:
        fake.in_flight -= 1
    if fake.fail_next > 0:
        fake.fail_next -= 1
        return JSONResponse({"message": "500 Internal Server Error"}, status_code=500)
    given = request.headers.get("private-token") or request.headers.get("authorization", "")
    if given not in (fake.token, f"Bearer {fake.token}"):
        return JSONResponse({"message": "401 Unauthorized"}, status_code=401)
    if fake.retry_after is not None:
        headers = _rate_headers(fake) | {"Retry-After": str(fake.retry_after)}
        return JSONResponse({"message": "Retry later"}, status_code=429, headers=headers)
    if fake.rate_limit <= 0:
        return JSONResponse(
            {"message": "Retry later"}, status_code=429, headers=_rate_headers(fake)
        )
    fake.rate_limit -= 1
    project = fake.project(request.path_params["project"])  # Starlette decoded the %2F
    if project is None:
        return JSONResponse({"message": "404 Project Not Found"}, 404, headers=_rate_headers(fake))
    return project


def _selected(project: FakeProject, request: Request) -> list[Item]:
    query = request.query_params
    state = query.get("state", "all")
    items = [i for i in project.issues if state == "all" or i["state"] == state]
    if "updated_after" in query:
        after = datetime.fromisoformat(query["updated_after"])
        items = [i for i in items if datetime.fromisoformat(str(i["updated_at"])) >= after]
    field = query.get("order_by", "created_at")
    return sorted(
        items,
        key=lambda i: (str(i[field]), int(str(i["id"]))),
        reverse=query.get("sort", "desc") != "asc",
    )


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": index}).encode()).decode()


def _offset(cursor: str) -> int:
    return int(json.loads(base64.urlsafe_b64decode(cursor))["offset"])


def _page(fake: FakeGitLab, request: Request, items: list[Item]) -> Response:
    """Keyset pages (an opaque cursor in Link) or offset pages (X-Page, X-Next-Page)."""
    query = request.query_params
    per_page = min(int(query.get("per_page", "20")), 100)
    keyset = fake.keyset and query.get("pagination") == "keyset"
    if keyset:
        start = _offset(query["cursor"]) if "cursor" in query else 0
        page = start // per_page + 1
    else:
        page = int(query.get("page", "1"))
        start = (page - 1) * per_page
    body = json.dumps(items[start : start + per_page]).encode()
    headers = _rate_headers(fake) | {"X-Per-Page": str(per_page), "X-Page": str(page)}
    if fake.etag is not None and start == 0:
        headers["ETag"] = fake.etag
        if request.headers.get("if-none-match") == fake.etag:
            return Response(status_code=304, headers=headers)
    following = {"repeat": page, "grow": page + 1}.get(fake.endless or "")
    if following is None and start + per_page < len(items):
        following = page + 1
    if keyset:
        if following is not None:
            next_url = request.url.include_query_params(cursor=_cursor((following - 1) * per_page))
            headers["Link"] = f'<{next_url}>; rel="next"'
    else:
        headers["X-Next-Page"] = "" if following is None else str(following)
        headers["X-Total"] = str(len(items))
    return Response(body, media_type="application/json", headers=headers)


def make_app(current: Callable[[], FakeGitLab]) -> Starlette:
    async def project(request: Request) -> Response:
        fake = current()
        found = await _gate(fake, request)
        if isinstance(found, Response):
            return found
        if fake.garbage is not None:
            content, kind = fake.garbage
            return Response(content, media_type=kind)
        body: Item = {"id": found.id, "path_with_namespace": found.path}
        if found.issues_enabled:
            body["open_issues_count"] = sum(1 for i in found.issues if i["state"] == "opened")
        return JSONResponse(body, headers=_rate_headers(fake))

    async def issues(request: Request) -> Response:
        fake = current()
        found = await _gate(fake, request)
        if isinstance(found, Response):
            return found
        if fake.keyset_refused and request.query_params.get("pagination") == "keyset":
            message = {"message": "Keyset pagination is not yet available for this type of request"}
            return JSONResponse(message, status_code=405)
        if fake.garbage is not None:
            content, kind = fake.garbage
            return Response(content, media_type=kind)
        return _page(fake, request, _selected(found, request))

    routes = [
        Route("/api/v4/projects/{project:path}/issues", issues),
        Route("/api/v4/projects/{project:path}", project),
    ]
    return Starlette(routes=routes)


@contextmanager
def serve(current: Callable[[], FakeGitLab]) -> Iterator[str]:
    """Serve `current()` on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    with serve_app(make_app(current), name="fake GitLab") as url:
        yield url
