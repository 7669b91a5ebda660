"""A fake GitLab REST API v4 for the adapter's tests, served by fake_server.serve_app on
127.0.0.1. Tests mutate its projects and switches and assert on its request log.

Issue 19's write side: merge requests (their own iids), approvals, discussions (resolvable
threads), pipelines with jobs, and issue notes. `fail_writes` fails the next writes with the
statuses queued; `lose_answers` makes the next writes take effect and still answer 502."""

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

from tests.integration.trackers.fake_server import Recorded, failed_write, json_body, serve_app

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
    merge_requests: list[Item] = attrs.field(factory=list)
    approved_by: dict[int, list[str]] = attrs.field(factory=dict)  # iid -> usernames
    discussions: dict[int, list[Item]] = attrs.field(factory=dict)  # iid -> discussions
    pipelines: dict[int, Item] = attrs.field(factory=dict)  # id -> pipeline (with "jobs")
    notes: dict[int, list[Item]] = attrs.field(factory=dict)  # issue iid -> notes

    def merge_request(self, iid: int) -> Item:
        return next(m for m in self.merge_requests if m["iid"] == iid)


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
    fail_writes: list[int] = attrs.field(factory=list)  # statuses for the next writes
    lose_answers: int = 0  # writes that take effect but answer 502
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

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def open_merge_request(
        self,
        path: str,
        *,
        source: str,
        target: str = "main",
        title: str = "A change",
        description: str = "",
        sha: str = "",
    ) -> Item:
        """A merge request, as `POST /merge_requests` makes it (a "Draft:" title is a draft)."""
        project = self.add_project(path)
        ident = self.new_id()
        iid = len(project.merge_requests) + 1
        draft = title.lower().startswith(("draft:", "[draft]", "(draft)"))
        item: Item = {
            "id": ident,
            "iid": iid,
            "project_id": project.id,
            "title": title,
            "description": description,
            "state": "opened",
            "draft": draft,
            "work_in_progress": draft,
            "source_branch": source,
            "target_branch": target,
            "sha": sha or f"{ident:040x}",
            "web_url": f"https://gitlab.example/{path}/-/merge_requests/{iid}",
            "head_pipeline": None,
            "created_at": gitlab_time(EPOCH + timedelta(seconds=ident)),
            "updated_at": gitlab_time(EPOCH + timedelta(seconds=ident)),
            "merged_at": None,
        }
        project.merge_requests.append(item)
        return item

    def merge(self, path: str, iid: int) -> None:
        self.projects[path].merge_request(iid).update(state="merged", merged_at=gitlab_time(EPOCH))

    def close(self, path: str, iid: int) -> None:
        self.projects[path].merge_request(iid).update(state="closed")

    def approve(self, path: str, iid: int, username: str) -> None:
        self.projects[path].approved_by.setdefault(iid, []).append(username)

    def add_discussion(
        self,
        path: str,
        iid: int,
        *,
        body: str,
        author: str,
        file: str | None = None,
        line: int | None = None,
        resolvable: bool = True,
        system: bool = False,
    ) -> Item:
        """A thread on a merge request: on a diff line when `file` is given."""
        note: Item = {
            "id": self.new_id(),
            "type": "DiffNote" if file else "DiscussionNote",
            "body": body,
            "author": {"username": author},
            "system": system,
            "resolvable": resolvable,
            "resolved": False,
            "position": {"new_path": file, "new_line": line, "old_path": file, "old_line": None}
            if file
            else None,
        }
        discussion: Item = {"id": f"d{note['id']}", "individual_note": False, "notes": [note]}
        self.projects[path].discussions.setdefault(iid, []).append(discussion)
        return discussion

    def resolve(self, discussion: Item) -> None:
        for note in discussion["notes"]:  # type: ignore[attr-defined]
            note["resolved"] = True

    def set_pipeline(
        self, path: str, iid: int, status: str, failed_jobs: tuple[str, ...] = ()
    ) -> Item:
        """The merge request's head pipeline, in `status`, with these failed jobs."""
        project = self.projects[path]
        ident = self.new_id()
        jobs = [{"id": self.new_id(), "name": name, "status": "failed"} for name in failed_jobs]
        pipeline: Item = {"id": ident, "status": status, "jobs": jobs}
        project.pipelines[ident] = pipeline
        project.merge_request(iid)["head_pipeline"] = {"id": ident, "status": status}
        return pipeline

    def add_note(self, path: str, issue_iid: int, body: str, *, author: str = "aiops-bot") -> Item:
        note: Item = {
            "id": self.new_id(),
            "body": body,
            "author": {"username": author},
            "system": False,
            "noteable_type": "Issue",
        }
        self.projects[path].notes.setdefault(issue_iid, []).append(note)
        return note

    def issue_notes(self, path: str, issue_iid: int) -> list[Item]:
        return self.projects[path].notes.get(issue_iid, [])

    def webhook_payload(self, path: str, iid: int, action: str = "open") -> Item:
        """A "Merge Request Hook" payload for the merge request as it is now."""
        project = self.projects[path]
        mr = project.merge_request(iid)
        attributes = dict(mr) | {"action": action}
        return {
            "object_kind": "merge_request",
            "event_type": "merge_request",
            "project": {"id": project.id, "path_with_namespace": path},
            "object_attributes": attributes,
        }

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
    body = await json_body(request) if request.method != "GET" else None
    fake.requests.append(
        Recorded(request.method, request.url.path, dict(request.query_params), headers, body)
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
    if refused := _limited(fake) or failed_write(fake.fail_writes, request):
        return refused
    fake.rate_limit -= 1
    project = fake.project(request.path_params["project"])  # Starlette decoded the %2F
    if project is None:
        return JSONResponse({"message": "404 Project Not Found"}, 404, headers=_rate_headers(fake))
    return project


def _limited(fake: FakeGitLab) -> Response | None:
    if fake.retry_after is not None:
        headers = _rate_headers(fake) | {"Retry-After": str(fake.retry_after)}
        return JSONResponse({"message": "Retry later"}, status_code=429, headers=headers)
    if fake.rate_limit <= 0:
        return JSONResponse(
            {"message": "Retry later"}, status_code=429, headers=_rate_headers(fake)
        )
    return None


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
        *_merge_request_routes(current),
        Route("/api/v4/projects/{project:path}", project),
    ]
    return Starlette(routes=routes)


def _written(fake: FakeGitLab, answer: Response) -> Response:
    """The answer of a write that took effect, or a 502 instead when answers are lost."""
    if fake.lose_answers > 0:
        fake.lose_answers -= 1
        return JSONResponse({"message": "502 Bad Gateway"}, status_code=502)
    return answer


def _list(fake: FakeGitLab, request: Request, items: list[Item]) -> Response:
    """Offset pages (X-Next-Page), as GitLab gives lists other than issues."""
    query = request.query_params
    per_page = min(int(query.get("per_page", "20")), 100)
    page = int(query.get("page", "1"))
    start = (page - 1) * per_page
    headers = _rate_headers(fake) | {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(page + 1) if start + per_page < len(items) else "",
    }
    return JSONResponse(items[start : start + per_page], headers=headers)


def _create_merge_request(fake: FakeGitLab, project: FakeProject, body: object) -> Response:
    fields = ("source_branch", "target_branch", "title")
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in fields):
        return JSONResponse({"message": {"title": ["can't be blank"]}}, 400)
    source = str(body["source_branch"])
    open_one = next(
        (
            m
            for m in project.merge_requests
            if m["source_branch"] == source and m["state"] == "opened"
        ),
        None,
    )
    if open_one is not None:
        message = [
            f"Another open merge request already exists for this source branch: !{open_one['iid']}"
        ]
        return JSONResponse({"message": message}, 409)
    item = fake.open_merge_request(
        project.path,
        source=source,
        target=str(body["target_branch"]),
        title=str(body["title"]),
        description=str(body.get("description") or ""),
    )
    return _written(fake, JSONResponse(item, 201, headers=_rate_headers(fake)))


def _merge_request_routes(current: Callable[[], FakeGitLab]) -> list[Route]:
    async def merge_requests(request: Request) -> Response:
        fake = current()
        found = await _gate(fake, request)
        if isinstance(found, Response):
            return found
        if request.method == "POST":
            return _create_merge_request(fake, found, await json_body(request))
        query = request.query_params
        items = list(found.merge_requests)
        if "source_branch" in query:
            items = [m for m in items if m["source_branch"] == query["source_branch"]]
        if query.get("state", "all") != "all":
            items = [m for m in items if m["state"] == query["state"]]
        items.sort(key=lambda m: int(str(m["id"])), reverse=query.get("sort", "desc") == "desc")
        return _list(fake, request, items)

    async def merge_request(request: Request) -> Response:
        fake = current()
        found = await _gate(fake, request)
        if isinstance(found, Response):
            return found
        iid = request.path_params["iid"]
        item = next((m for m in found.merge_requests if m["iid"] == iid), None)
        if item is None:
            return JSONResponse({"message": "404 Not found"}, 404)
        part = request.path_params.get("part")
        if part is None:
            return JSONResponse(item, headers=_rate_headers(fake))
        if part == "approvals":
            users = found.approved_by.get(iid, [])
            body: Item = {
                "approved": bool(users),
                "approved_by": [{"user": {"username": u}} for u in users],
            }
            return JSONResponse(body, headers=_rate_headers(fake))
        if part == "discussions":
            return _list(fake, request, found.discussions.get(iid, []))
        return JSONResponse({"message": "404 Not found"}, 404)

    async def jobs(request: Request) -> Response:
        fake = current()
        found = await _gate(fake, request)
        if isinstance(found, Response):
            return found
        pipeline = found.pipelines.get(request.path_params["pipeline"])
        if pipeline is None:
            return JSONResponse({"message": "404 Not found"}, 404)
        scopes = request.query_params.getlist("scope[]")
        items = [j for j in pipeline["jobs"] if not scopes or j["status"] in scopes]  # type: ignore[attr-defined]
        return _list(fake, request, items)

    async def notes(request: Request) -> Response:
        fake = current()
        found = await _gate(fake, request)
        if isinstance(found, Response):
            return found
        iid = request.path_params["iid"]
        if not any(i["iid"] == iid for i in found.issues):
            return JSONResponse({"message": "404 Not found"}, 404)
        if request.method == "POST":
            body = await json_body(request)
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text:
                return JSONResponse({"message": "400 Bad request - body is missing"}, 400)
            return _written(fake, JSONResponse(fake.add_note(found.path, iid, text), 201))
        return _list(fake, request, fake.issue_notes(found.path, iid))

    prefix = "/api/v4/projects/{project:path}"
    return [
        Route(f"{prefix}/merge_requests", merge_requests, methods=["GET", "POST"]),
        Route(f"{prefix}/merge_requests/{{iid:int}}", merge_request),
        Route(f"{prefix}/merge_requests/{{iid:int}}/{{part}}", merge_request),
        Route(f"{prefix}/pipelines/{{pipeline:int}}/jobs", jobs),
        Route(f"{prefix}/issues/{{iid:int}}/notes", notes, methods=["GET", "POST"]),
    ]


@contextmanager
def serve(current: Callable[[], FakeGitLab]) -> Iterator[str]:
    """Serve `current()` on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    with serve_app(make_app(current), name="fake GitLab") as url:
        yield url
