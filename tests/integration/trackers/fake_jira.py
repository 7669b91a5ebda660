"""A fake Jira REST API for the adapter's tests, as Cloud (v3 search with nextPageToken, ADF
descriptions, Basic auth) or as Server/Data Center (v2 search with startAt, plain descriptions,
Bearer tokens): Starlette, served by uvicorn on 127.0.0.1 in a background thread. It reads the
JQL it is sent (the project and `updated >=`, in its user's time zone) and filters by it.

Issue 19's write side: comments on an issue (`GET`/`POST /rest/api/{2|3}/issue/{key}/comment`:
ADF bodies on Cloud, wiki text on Server). `fail_writes` fails the next writes with the
statuses queued; `lose_answers` makes the next writes take effect and still answer 502."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.integration.trackers.fake_server import Recorded, failed_write, json_body, serve_app

EMAIL = "bot@acme.example"
CLOUD_TOKEN = f"{EMAIL}:atl-fake-api-token"  # sent as Basic
SERVER_TOKEN = "pat-fake-good-token"  # sent as Bearer
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
JQL = re.compile(
    r'project = "(?P<key>[^"]*)"'
    r'(?: AND updated >= "(?P<since>\d{4}/\d{2}/\d{2} \d{2}:\d{2})")?'
    r" ORDER BY updated ASC"
)
Mode = Literal["cloud", "server"]


def jira_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def adf(text: str) -> dict[str, object]:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


@attrs.define
class FakeJira:
    """State of the fake; every switch may be changed by a test between requests."""

    mode: Mode = "cloud"
    cloud_token: str = CLOUD_TOKEN
    server_token: str = SERVER_TOKEN
    time_zone: str = "UTC"  # the token's user's: JQL dates are read in it
    projects: dict[str, str] = attrs.field(factory=dict)  # key -> name
    issues: dict[str, list[dict[str, object]]] = attrs.field(factory=dict)
    requests: list[Recorded] = attrs.field(factory=list)
    schemes: list[str] = attrs.field(factory=list)  # "Basic user:secret" or "Bearer" per request
    retry_after: int | None = None  # answer 429 with this Retry-After while set
    fail_next: int = 0  # transient 500s before answering
    garbage: bytes | None = None  # answer searches with this body instead of the issues
    web_page: bool = False  # answer everything with an HTML page (a base URL that is not Jira)
    jql_error: str | None = None  # refuse every search with this 400 message
    not_jira: bool = False  # serverInfo answers JSON that is not Jira's
    delay: float = 0.0  # seconds each answer takes
    in_flight: int = 0
    max_in_flight: int = 0
    endless: str | None = None  # cloud "repeat"; server "stuck", "repeat" or "lying"
    comments: dict[str, list[dict[str, object]]] = attrs.field(factory=dict)  # issue key -> them
    fail_writes: list[int] = attrs.field(factory=list)  # statuses for the next writes
    lose_answers: int = 0  # writes that take effect but answer 502
    _next_id: int = 10_000

    @property
    def token(self) -> str:
        return self.cloud_token if self.mode == "cloud" else self.server_token

    def add_project(self, key: str, name: str) -> None:
        self.projects[key] = name
        self.issues.setdefault(key, [])

    def add_issue(
        self, key: str, *, updated: datetime | None = None, description: object = ""
    ) -> dict[str, object]:
        items = self.issues[key]
        self._next_id += 1
        number = len(items) + 1
        assignee = {
            "displayName": "Alice",
            "accountId": "5b10a2844c20165700ede21g",
            "name": "alice",
        }
        item: dict[str, object] = {
            "id": str(self._next_id),
            "key": f"{key}-{number}",
            "summary": f"Issue {number}",
            "description": (None if number % 7 == 0 else f"Body of {number}")
            if description == ""
            else description,
            "done": number % 5 == 0,
            "labels": ["bug"] if number % 2 else [],
            "assignee": assignee if number % 3 == 0 else None,
            "created": EPOCH,
            "updated": updated or EPOCH + timedelta(minutes=number),
        }
        items.append(item)
        return item

    def issue(self, key: str) -> dict[str, object] | None:
        project = key.rpartition("-")[0]
        return next((i for i in self.issues.get(project, []) if i["key"] == key), None)

    def add_comment(self, key: str, body: object, *, author: str = "Bot") -> dict[str, object]:
        """A comment: `body` ADF (Cloud) or wiki text (Server), as this mode's API takes it."""
        self._next_id += 1
        comment: dict[str, object] = {
            "id": str(self._next_id),
            "body": body,
            "author": {"displayName": author},
            "created": jira_time(EPOCH),
        }
        self.comments.setdefault(key, []).append(comment)
        return comment

    def issue_comments(self, key: str) -> list[dict[str, object]]:
        return self.comments.get(key, [])

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def searches(self) -> list[Recorded]:
        return [r for r in self.requests if "/search" in r.path]

    def accepts(self, authorization: str) -> bool:
        if self.mode == "cloud":
            return authorization == "Basic " + base64.b64encode(self.cloud_token.encode()).decode()
        return authorization == f"Bearer {self.server_token}"

    def wire(self, item: dict[str, object]) -> dict[str, object]:
        """An issue as this mode's search sends it."""
        description = item["description"]
        if self.mode == "cloud" and isinstance(description, str):
            description = adf(description)
        assignee = item["assignee"]
        if isinstance(assignee, dict):  # Cloud knows accounts, Server user names
            drop = "name" if self.mode == "cloud" else "accountId"
            assignee = {k: v for k, v in assignee.items() if k != drop}
        category = {"key": "done", "name": "Done"} if item["done"] else {"key": "new"}
        fields = {
            "summary": item["summary"],
            "description": description,
            "status": {"name": "Done" if item["done"] else "To Do", "statusCategory": category},
            "labels": item["labels"],
            "assignee": assignee,
            "created": jira_time(item["created"]),  # type: ignore[arg-type]
            "updated": jira_time(item["updated"]),  # type: ignore[arg-type]
        }
        return {"id": item["id"], "key": item["key"], "self": "ignored", "fields": fields}


def _error(status: int, *messages: str) -> JSONResponse:
    return JSONResponse({"errorMessages": list(messages), "errors": {}}, status_code=status)


async def _gate(fake: FakeJira, request: Request, version: str | None = None) -> Response | None:
    """Record the request, then answer what applies to every route (or None)."""
    fake.in_flight += 1
    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
    try:
        if fake.delay:
            await asyncio.sleep(fake.delay)
    finally:
        fake.in_flight -= 1
    headers = {k: v for k, v in request.headers.items() if k != "authorization"}
    body = await json_body(request) if request.method != "GET" else None
    fake.requests.append(
        Recorded(request.method, request.url.path, dict(request.query_params), headers, body)
    )
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme == "Basic":
        scheme += " " + base64.b64decode(credentials).decode().split(":")[0]
    fake.schemes.append(scheme)
    if fake.fail_next > 0:
        fake.fail_next -= 1
        return _error(500, "Internal server error")
    if fake.web_page:
        return HTMLResponse("<!doctype html><html><body>Welcome to our site</body></html>")
    if not fake.accepts(authorization):
        return _error(401, "You are not authenticated. Authentication required to perform this.")
    if fake.retry_after is not None:
        return Response(status_code=429, headers={"Retry-After": str(fake.retry_after)})
    wanted = "3" if fake.mode == "cloud" else "2"
    if version is not None and version not in (wanted, "2"):
        return _error(404, "Not found")
    return failed_write(fake.fail_writes, request)


def _selected(fake: FakeJira, jql: str) -> list[dict[str, object]] | Response:
    if fake.jql_error:
        return _error(400, fake.jql_error)
    match = JQL.fullmatch(jql)
    if match is None:
        return _error(400, f"Error in the JQL Query: cannot read {jql[:40]!r}")
    key = match["key"]
    if key not in fake.projects:
        return _error(400, f"The value '{key}' does not exist for the field 'project'.")
    items = fake.issues[key]
    if match["since"]:
        try:
            zone = ZoneInfo(fake.time_zone)
        except ZoneInfoNotFoundError:
            zone = ZoneInfo("UTC")  # Jira falls back to the system's zone
        since = datetime.strptime(match["since"], "%Y/%m/%d %H:%M").replace(tzinfo=zone)
        items = [i for i in items if i["updated"] >= since]  # type: ignore[operator]
    return sorted(items, key=lambda i: (i["updated"], int(str(i["id"]))))  # type: ignore[return-value]


def _page_size(request: Request) -> int:
    return min(int(request.query_params.get("maxResults", "50")), 100)


def make_app(current: Callable[[], FakeJira]) -> Starlette:
    async def server_info(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        if fake.not_jira:
            return JSONResponse({"status": "ok"})
        kind = "Cloud" if fake.mode == "cloud" else "Server"
        return JSONResponse(
            {"baseUrl": str(request.base_url), "version": "1001.0.0", "deploymentType": kind}
        )

    async def myself(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request, request.path_params["version"]):
            return answer
        return JSONResponse({"emailAddress": EMAIL, "timeZone": fake.time_zone, "active": True})

    async def project(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request, request.path_params["version"]):
            return answer
        key = request.path_params["key"]
        if key not in fake.projects:
            return _error(404, f"No project could be found with key '{key}'.")
        return JSONResponse({"id": "10000", "key": key, "name": fake.projects[key]})

    async def cloud_search(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request, "3"):
            return answer
        if fake.mode != "cloud":
            return _error(404, "Not found")
        if fake.garbage is not None:
            return Response(fake.garbage, media_type="application/json")
        selected = _selected(fake, request.query_params.get("jql", ""))
        if isinstance(selected, Response):
            return selected
        token = request.query_params.get("nextPageToken", "page-0")
        offset = 0 if token == "page-loop" else int(token.removeprefix("page-"))
        size = _page_size(request)
        body: dict[str, object] = {
            "issues": [fake.wire(i) for i in selected[offset : offset + size]],
            "isLast": offset + size >= len(selected),
        }
        if fake.endless == "repeat":
            body |= {"nextPageToken": "page-loop", "isLast": False}
        elif not body["isLast"]:
            body["nextPageToken"] = f"page-{offset + size}"
        return JSONResponse(body)

    async def server_search(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request, "2"):
            return answer
        if fake.mode != "server":
            return _error(410, "The requested API has been removed. Use /rest/api/3/search/jql.")
        if fake.garbage is not None:
            return Response(fake.garbage, media_type="application/json")
        selected = _selected(fake, request.query_params.get("jql", ""))
        if isinstance(selected, Response):
            return selected
        asked = int(request.query_params.get("startAt", "0"))
        start = 0 if fake.endless in ("stuck", "repeat") else asked
        size = _page_size(request)
        body = {
            "startAt": 0 if fake.endless == "stuck" else asked,
            "maxResults": size,
            "total": len(selected) if fake.endless is None else 10**6,
            "issues": [fake.wire(i) for i in selected[start : start + size]],
        }
        return Response(json.dumps(body), media_type="application/json;charset=UTF-8")

    routes = [
        Route("/rest/api/2/serverInfo", server_info),
        Route("/rest/api/3/search/jql", cloud_search),
        Route("/rest/api/2/search", server_search),
        Route("/rest/api/{version}/myself", myself),
        Route("/rest/api/{version}/project/{key}", project),
        Route(
            "/rest/api/{version}/issue/{key}/comment", _comments(current), methods=["GET", "POST"]
        ),
    ]
    return Starlette(routes=routes)


def _comments(current: Callable[[], FakeJira]) -> Callable[[Request], Awaitable[Response]]:
    async def comments(request: Request) -> Response:
        fake = current()
        version = request.path_params["version"]
        if answer := await _gate(fake, request, version):
            return answer
        key = request.path_params["key"]
        if fake.issue(key) is None:
            return _error(404, "Issue does not exist or you do not have permission to see it.")
        if request.method == "POST":
            return _post_comment(fake, key, version, await json_body(request))
        items = fake.issue_comments(key)
        start = int(request.query_params.get("startAt", "0"))
        size = _page_size(request)
        body = {
            "startAt": start,
            "maxResults": size,
            "total": len(items),
            "comments": items[start : start + size],
        }
        return JSONResponse(body)

    return comments


def _post_comment(fake: FakeJira, key: str, version: str, payload: object) -> Response:
    body = payload.get("body") if isinstance(payload, dict) else None
    adf_doc = isinstance(body, dict) and body.get("type") == "doc" and body.get("version") == 1
    if (version == "3" and not adf_doc) or (version == "2" and not isinstance(body, str)):
        return JSONResponse(
            {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}}, 400
        )
    comment = fake.add_comment(key, body)
    if fake.lose_answers > 0:
        fake.lose_answers -= 1
        return _error(502, "Bad Gateway")
    return JSONResponse(comment, 201)


@contextmanager
def serve(current: Callable[[], FakeJira]) -> Iterator[str]:
    """Serve `current()` on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    with serve_app(make_app(current), name="fake Jira") as url:
        yield url
