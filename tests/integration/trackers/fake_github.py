"""A fake GitHub REST API for the adapter's tests: Starlette, served by uvicorn on 127.0.0.1 in a
background thread. Tests mutate its repositories and switches and assert on its request log.

Issue 19's write side: pull requests (numbered with the repository's issues, listed among them
as GitHub does), their reviews, review threads (through `POST /graphql`), check runs of a head
commit, and issue comments. `fail_writes` fails the next writes with the statuses queued;
`lose_answers` makes the next writes take effect and still answer 502 (a lost answer)."""

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

from tests.integration.trackers.fake_server import Recorded, failed_write, json_body, serve_app

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
    pulls: dict[str, dict[int, dict[str, object]]] = attrs.field(factory=dict)  # repo -> n -> pull
    reviews: dict[tuple[str, int], list[dict[str, object]]] = attrs.field(factory=dict)
    threads: dict[tuple[str, int], list[dict[str, object]]] = attrs.field(factory=dict)
    check_runs: dict[str, list[dict[str, object]]] = attrs.field(factory=dict)  # by head sha
    comments: dict[tuple[str, int], list[dict[str, object]]] = attrs.field(factory=dict)
    fail_writes: list[int] = attrs.field(factory=list)  # statuses for the next writes
    lose_answers: int = 0  # writes that take effect but answer 502
    login: str = "aiops-bot"  # the token's user: author of what it writes
    _next_id: int = 1000

    def add_repo(self, key: str) -> list[dict[str, object]]:
        return self.repos.setdefault(key, [])

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def open_pull(
        self,
        key: str,
        *,
        head: str,
        base: str = "main",
        title: str = "A change",
        body: str = "",
        draft: bool = False,
        sha: str = "",
    ) -> dict[str, object]:
        """A pull request, as `POST /pulls` makes it (a test may make one directly)."""
        item = self.add_issue(key, pull_request=True)
        number = int(str(item["number"]))
        item.update(title=title, body=body, state="open")
        ident = self.new_id()
        pull: dict[str, object] = {
            "id": ident,
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "draft": draft,
            "merged": False,
            "merged_at": None,
            "html_url": f"https://github.example/{key}/pull/{number}",
            "head": {
                "ref": head,
                "label": f"{key.split('/', maxsplit=1)[0]}:{head}",
                "sha": sha or hashlib.sha256(f"{key}:{head}:{ident}".encode()).hexdigest()[:40],
            },
            "base": {"ref": base, "label": f"{key.split('/', maxsplit=1)[0]}:{base}"},
            "user": {"login": self.login},
            "created_at": github_time(EPOCH + timedelta(seconds=ident)),
            "updated_at": github_time(EPOCH + timedelta(seconds=ident)),
        }
        self.pulls.setdefault(key, {})[number] = pull
        return pull

    def pull(self, key: str, number: int) -> dict[str, object]:
        return self.pulls[key][number]

    def _issue(self, key: str, number: int) -> dict[str, object]:
        return next(i for i in self.repos[key] if i["number"] == number)

    def merge(self, key: str, number: int) -> None:
        self.pull(key, number).update(state="closed", merged=True, merged_at=github_time(EPOCH))
        self._issue(key, number)["state"] = "closed"

    def close(self, key: str, number: int) -> None:
        self.pull(key, number).update(state="closed")
        self._issue(key, number)["state"] = "closed"

    def set_head(self, key: str, number: int, sha: str) -> None:
        """A push moved the pull request's head."""
        head = self.pull(key, number)["head"]
        assert isinstance(head, dict)
        head["sha"] = sha

    def add_review(
        self, key: str, number: int, *, user: str, state: str, body: str = ""
    ) -> dict[str, object]:
        """A review: state APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED."""
        review: dict[str, object] = {
            "id": self.new_id(),
            "user": {"login": user},
            "state": state,
            "body": body,
            "submitted_at": github_time(EPOCH),
        }
        self.reviews.setdefault((key, number), []).append(review)
        return review

    def add_thread(
        self, key: str, number: int, *, path: str, line: int | None, body: str, author: str
    ) -> dict[str, object]:
        """A review comment that starts an (unresolved) thread."""
        comment = {
            "databaseId": self.new_id(),
            "path": path,
            "line": line,
            "originalLine": line,
            "author": {"login": author},
            "body": body,
        }
        thread: dict[str, object] = {"isResolved": False, "comments": [comment]}
        self.threads.setdefault((key, number), []).append(thread)
        return thread

    def add_check_run(
        self, sha: str, name: str, *, status: str = "completed", conclusion: str | None = "success"
    ) -> dict[str, object]:
        run: dict[str, object] = {
            "id": self.new_id(),
            "name": name,
            "status": status,
            "conclusion": conclusion if status == "completed" else None,
        }
        self.check_runs.setdefault(sha, []).append(run)
        return run

    def add_comment(self, key: str, number: int, body: str, *, user: str = "") -> dict[str, object]:
        ident = self.new_id()
        comment: dict[str, object] = {
            "id": ident,
            "body": body,
            "user": {"login": user or self.login},
            "html_url": f"https://github.example/{key}/issues/{number}#issuecomment-{ident}",
            "created_at": github_time(EPOCH),
        }
        self.comments.setdefault((key, number), []).append(comment)
        return comment

    def issue_comments(self, key: str, number: int) -> list[dict[str, object]]:
        return self.comments.get((key, number), [])

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET" and not r.path.endswith("graphql")]

    def review_payload(self, key: str, number: int, review: dict[str, object]) -> dict[str, object]:
        """A `pull_request_review` event's payload ("submitted") for one of add_review's."""
        return self.webhook_payload(key, number, "submitted") | {
            "review": review | {"state": str(review["state"]).lower()}
        }

    def webhook_payload(self, key: str, number: int, action: str = "opened") -> dict[str, object]:
        """A `pull_request` event's payload for the pull request as it is now."""
        owner, name = key.split("/")
        return {
            "action": action,
            "number": number,
            "pull_request": self.pull(key, number),
            "repository": {"full_name": key, "name": name, "owner": {"login": owner}},
        }

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
    body = await json_body(request) if request.method != "GET" else None
    fake.requests.append(
        Recorded(request.method, request.url.path, dict(request.query_params), headers, body)
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
        if "owner" not in request.path_params:
            return None
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
    if limited := _rate_limited(fake):
        return limited
    if request.url.path.endswith("/graphql"):  # a read, though a POST
        return None
    return failed_write(fake.fail_writes, request)


def _rate_limited(fake: FakeGitHub) -> Response | None:
    if fake.retry_after is not None:
        headers = {"Retry-After": str(fake.retry_after)}
        return JSONResponse({"message": "secondary rate limit"}, status_code=429, headers=headers)
    if fake.rate_limit <= 0:
        message = {"message": "API rate limit exceeded"}
        return JSONResponse(message, status_code=403, headers=_rate_headers(fake))
    return None


def _written(fake: FakeGitHub, answer: Response) -> Response:
    """The answer of a write that took effect, or a 502 instead when answers are lost."""
    if fake.lose_answers > 0:
        fake.lose_answers -= 1
        return JSONResponse({"message": "Bad Gateway"}, status_code=502)
    return answer


def _repo(request: Request) -> str:
    return f"{request.path_params['owner']}/{request.path_params['repo']}"


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


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
    return Starlette(routes=[*routes, *_pull_routes(current)])


def _pull_routes(current: Callable[[], FakeGitHub]) -> list[Route]:
    async def pulls(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        key = _repo(request)
        if request.method == "POST":
            return _create_pull(fake, key, await json_body(request))
        query = request.query_params
        items = list(fake.pulls.get(key, {}).values())
        if "head" in query:
            owner, _, branch = query["head"].partition(":")
            mine = key.startswith(owner + "/")
            items = [p for p in items if mine and p["head"]["ref"] == branch]  # type: ignore[index]
        state = query.get("state", "open")
        if state != "all":
            items = [p for p in items if p["state"] == state]
        items.sort(
            key=lambda p: int(str(p["id"])), reverse=query.get("direction", "desc") == "desc"
        )
        per_page = min(int(query.get("per_page", "30")), 100)
        return JSONResponse(items[:per_page], headers=_rate_headers(fake))

    async def pull(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        found = fake.pulls.get(_repo(request), {}).get(request.path_params["number"])
        if found is None:
            return JSONResponse({"message": "Not Found"}, 404)
        return JSONResponse(found, headers=_rate_headers(fake))

    async def reviews(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        number = request.path_params["number"]
        if number not in fake.pulls.get(_repo(request), {}):
            return JSONResponse({"message": "Not Found"}, 404)
        found = fake.reviews.get((_repo(request), number), [])
        return JSONResponse(found, headers=_rate_headers(fake))

    async def check_runs(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        runs = fake.check_runs.get(request.path_params["sha"], [])
        body = {"total_count": len(runs), "check_runs": runs}
        return JSONResponse(body, headers=_rate_headers(fake))

    return [
        Route("/repos/{owner}/{repo}/pulls", pulls, methods=["GET", "POST"]),
        Route("/repos/{owner}/{repo}/pulls/{number:int}", pull),
        Route("/repos/{owner}/{repo}/pulls/{number:int}/reviews", reviews),
        Route("/repos/{owner}/{repo}/commits/{sha}/check-runs", check_runs),
        *_comment_routes(current),
    ]


def _comment_routes(current: Callable[[], FakeGitHub]) -> list[Route]:
    async def comments(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        key = _repo(request)
        number = request.path_params["number"]
        if not any(i["number"] == number for i in fake.repos[key]):
            return JSONResponse({"message": "Not Found"}, 404)
        if request.method == "POST":
            body = await json_body(request)
            text = body.get("body") if isinstance(body, dict) else None
            if not isinstance(text, str) or not text:
                return JSONResponse({"message": "Validation Failed"}, 422)
            return _written(fake, JSONResponse(fake.add_comment(key, number, text), 201))
        items = fake.issue_comments(key, number)
        per_page = min(int(request.query_params.get("per_page", "30")), 100)
        page = int(request.query_params.get("page", "1"))
        headers = _rate_headers(fake)
        if page * per_page < len(items):
            next_url = request.url.include_query_params(page=page + 1)
            headers["Link"] = f'<{next_url}>; rel="next"'
        return JSONResponse(items[(page - 1) * per_page : page * per_page], headers=headers)

    async def graphql(request: Request) -> Response:
        fake = current()
        if answer := await _gate(fake, request):
            return answer
        payload = await json_body(request)
        variables = payload.get("variables") if isinstance(payload, dict) else None
        query = payload.get("query") if isinstance(payload, dict) else None
        if not isinstance(variables, dict) or "reviewThreads" not in str(query):
            return JSONResponse({"errors": [{"message": "this fake answers review threads only"}]})
        key = f"{variables.get('owner')}/{variables.get('name')}"
        number = variables.get("number")
        if key not in fake.repos:
            message = f"Could not resolve to a Repository with the name '{key}'."
            return JSONResponse({"data": {"repository": None}, "errors": [{"message": message}]})
        if not isinstance(number, int) or number not in fake.pulls.get(key, {}):
            message = f"Could not resolve to a PullRequest with the number of {number}."
            body = {"data": {"repository": {"pullRequest": None}}, "errors": [{"message": message}]}
            return JSONResponse(body)
        threads = [
            {"isResolved": t["isResolved"], "comments": {"nodes": t["comments"][:1]}}  # type: ignore[index]
            for t in fake.threads.get((key, number), [])
        ]
        pull = {"reviewThreads": {"nodes": threads}}
        return JSONResponse({"data": {"repository": {"pullRequest": pull}}})

    comments_path = "/repos/{owner}/{repo}/issues/{number:int}/comments"
    return [
        Route(comments_path, comments, methods=["GET", "POST"]),
        Route("/graphql", graphql, methods=["POST"]),
        Route("/api/graphql", graphql, methods=["POST"]),
    ]


def _create_pull(fake: FakeGitHub, key: str, body: object) -> Response:
    """`POST /pulls` as GitHub answers it: 201, or 422 for a missing field, the same branches,
    or an open pull request from the head already."""
    if not isinstance(body, dict) or not all(
        isinstance(body.get(f), str) and body.get(f) for f in ("title", "head", "base")
    ):
        return JSONResponse({"message": "Validation Failed", "errors": [{"code": "missing"}]}, 422)
    head, base = str(body["head"]), str(body["base"])
    if head == base:
        errors = [{"message": f"No commits between {base} and {head}"}]
        return JSONResponse({"message": "Validation Failed", "errors": errors}, 422)
    owner = key.split("/", maxsplit=1)[0]
    if any(
        p["head"]["ref"] == head and p["state"] == "open"  # type: ignore[index]
        for p in fake.pulls.get(key, {}).values()
    ):
        errors = [{"message": f"A pull request already exists for {owner}:{head}."}]
        return JSONResponse({"message": "Validation Failed", "errors": errors}, 422)
    pull = fake.open_pull(
        key,
        head=head,
        base=base,
        title=str(body["title"]),
        body=str(body.get("body") or ""),
        draft=body.get("draft") is True,
    )
    return _written(fake, JSONResponse(pull, 201, headers=_rate_headers(fake)))


@contextmanager
def serve(current: Callable[[], FakeGitHub]) -> Iterator[str]:
    """Serve `current()` on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    with serve_app(make_app(current), name="fake GitHub") as url:
        yield url
