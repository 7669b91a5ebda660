"""GitHubTracker: the IssueTracker, CodeHost and IssueComments ports over GitHub's REST API
(github.com or Enterprise), and its GraphQL API for review threads.

Writes need a token that may do them: `pull_requests: write` to open a pull request,
`issues: write` to comment on an issue (fine-grained tokens; a classic token needs `repo`).
A 403 on a write names the one missing. Reading a pull request costs four requests: the pull,
its reviews, its head's check runs, its review threads (GraphQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from urllib.parse import quote

import attrs
import httpx

from aiops.adapters.trackers.github_pulls import (
    THREADS_QUERY,
    checks_of,
    pull_from_github,
    review_state,
    unresolved_of,
)
from aiops.adapters.trackers.http import (
    PageGuard,
    RequestCount,
    TrackerAdapter,
    json_of,
    next_link,
)
from aiops.adapters.trackers.payloads import Payload, iso8601
from aiops.adapters.trackers.writes import branch_name, holds_marker, issue_number, one_line
from aiops.domain.model.pull_requests import ChecksState, RemotePull, ReviewComment
from aiops.domain.model.trackers import IssueState, RemoteIssue, TrackerError
from aiops.ports.issue_tracker import IssueChanges, TrackerTarget

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
GITHUB = Payload("GitHub")
REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
PULLS_SCOPE = "`pull_requests: write` (pull requests)"
ISSUES_SCOPE = "`issues: write` (comments)"


@attrs.frozen
class RepoKey:
    owner: str
    repo: str

    @classmethod
    def parse(cls, key: str) -> RepoKey:
        owner, slash, repo = key.partition("/")
        if not (slash and OWNER.fullmatch(owner) and REPO.fullmatch(repo)) or ".." in repo:
            raise TrackerError(f"{key[:80]!r} is not a GitHub repository (owner/repo)")
        if repo == ".":
            raise TrackerError(f"{key[:80]!r} is not a GitHub repository (owner/repo)")
        return cls(owner, repo)

    @property
    def path(self) -> str:
        return f"repos/{quote(self.owner, safe='')}/{quote(self.repo, safe='')}"

    def __str__(self) -> str:
        return f"{self.owner}/{self.repo}"


def api_root(base_url: str) -> str:
    """https://api.github.com, or https://host/api/v3 for GitHub Enterprise."""
    url = httpx.URL(base_url.strip())
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise TrackerError(f"{base_url[:80]!r} is not a GitHub API URL (https://api.github.com)")
    return str(url).rstrip("/")


def graphql_url(base_url: str) -> str:
    """https://api.github.com/graphql, or https://host/api/graphql for GitHub Enterprise."""
    root = api_root(base_url)
    return f"{root.removesuffix('/v3')}/graphql" if root.endswith("/api/v3") else f"{root}/graphql"


class GitHubTracker(TrackerAdapter):
    """Lists changed issues, checks a connection, opens and reads pull requests, comments on
    issues; one pooled client, closed by close()."""

    def changed_since(
        self, target: TrackerTarget, since: datetime | None, etag: str | None
    ) -> IssueChanges:
        repo = RepoKey.parse(target.key)
        params = {"state": "all", "per_page": "100", "sort": "updated", "direction": "asc"}
        if since is not None:
            params["since"] = iso8601(since)
        first_url = httpx.URL(f"{api_root(target.base_url)}/{repo.path}/issues", params=params)
        url: httpx.URL | None = first_url
        pages = PageGuard(first_url.host, max_pages=self._max_pages)
        count = RequestCount()
        issues: list[RemoteIssue] = []
        first_etag: str | None = None
        while url is not None:
            pages.visit(url)
            first = count.sent == 0
            headers = dict(HEADERS)
            if first and etag:
                headers["If-None-Match"] = etag
            response = self._get(url, target, repo, count, headers)
            if response.status_code == 304:
                if not first:
                    raise TrackerError(f"{url.host}: a later page answered 304 Not Modified")
                return count.changes((), etag, not_modified=True)
            if first:
                first_etag = response.headers.get("etag")
            issues.extend(issues_of(json_of(response)))
            url = next_link(response)
        return count.changes(issues, first_etag)

    def check(self, target: TrackerTarget) -> str:
        repo = RepoKey.parse(target.key)
        url = httpx.URL(f"{api_root(target.base_url)}/{repo.path}")
        payload = json_of(self._get(url, target, repo, RequestCount()))
        if not isinstance(payload, Mapping) or not isinstance(
            payload.get("open_issues_count"), int
        ):
            raise TrackerError(f"{url.host}: the repository answer has no open_issues_count")
        return f"{repo}: {payload['open_issues_count']} open issues"

    def find_pull(self, target: TrackerTarget, *, head: str) -> RemotePull | None:
        """The newest pull request from `head` (any state), without reviews and checks."""
        return self._find_pull(target, head, "all")

    def _find_pull(self, target: TrackerTarget, head: str, state: str) -> RemotePull | None:
        repo = RepoKey.parse(target.key)
        params = {
            "head": f"{repo.owner}:{branch_name(head)}",
            "state": state,
            "sort": "created",
            "direction": "desc",
            "per_page": "1",
        }
        url = httpx.URL(f"{api_root(target.base_url)}/{repo.path}/pulls", params=params)
        payload = json_of(self._get(url, target, repo, RequestCount()))
        if not isinstance(payload, list):
            kind = type(payload).__name__
            raise TrackerError(f"GitHub sent {kind} where a list of pull requests belongs")
        return pull_from_github(payload[0]) if payload else None

    def open_pull(
        self,
        target: TrackerTarget,
        *,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
    ) -> RemotePull:
        """`POST /pulls`; when GitHub answers 422 "A pull request already exists", the one
        that exists (a retried step finds what its first try made)."""
        repo = RepoKey.parse(target.key)
        url = f"{api_root(target.base_url)}/{repo.path}/pulls"
        payload = {
            "title": title,
            "head": branch_name(head),
            "base": branch_name(base),
            "body": body,
            "draft": draft,
        }
        response = self._http.post(
            url,
            token=target.token,
            json=payload,
            headers=HEADERS,
            not_found=f"repository {repo} not found (or the token cannot see it)",
            count=RequestCount(),
            expected=(422,),
            forbidden=PULLS_SCOPE,
        )
        if response.status_code == 422:
            reason = github_reason(response)
            if "already exists" in reason.lower():
                found = self._find_pull(target, head, "open")
                if found is not None:
                    return found
            raise TrackerError(
                f"{response.url.host}: GitHub refused the pull request (422): {reason}"
            )
        return pull_from_github(json_of(response))

    def pull(self, target: TrackerTarget, number: int) -> RemotePull:
        repo = RepoKey.parse(target.key)
        root = f"{api_root(target.base_url)}/{repo.path}"
        count = RequestCount()
        missing = f"pull request #{number} not found in {repo}"
        url = httpx.URL(f"{root}/pulls/{int(number)}")
        remote = pull_from_github(json_of(self._get(url, target, repo, count, missing=missing)))
        reviews_url = httpx.URL(f"{root}/pulls/{int(number)}/reviews", params={"per_page": "100"})
        reviews = list(self._pages(reviews_url, target, repo, count, missing))
        checks, summary, failing = _no_checks()
        if remote.head_sha:
            sha = remote.head_sha
            if not re.fullmatch(r"[0-9a-fA-F]{4,64}", sha):
                raise TrackerError(f"GitHub sent a head sha {sha[:20]!r}")
            runs = httpx.URL(f"{root}/commits/{sha}/check-runs", params={"per_page": "100"})
            checks, summary, failing = checks_of(json_of(self._get(runs, target, repo, count)))
        return attrs.evolve(
            remote,
            review=review_state(reviews),
            checks=checks,
            checks_summary=summary,
            failing_checks=failing,
            unresolved=self._unresolved(target, repo, number, count),
        )

    def _unresolved(
        self, target: TrackerTarget, repo: RepoKey, number: int, count: RequestCount
    ) -> tuple[ReviewComment, ...]:
        """A read over POST: not retried by TrackerHttp either; the next sync asks again."""
        url = graphql_url(target.base_url)
        variables = {"owner": repo.owner, "name": repo.repo, "number": int(number)}
        response = self._http.post(
            url,
            token=target.token,
            json={"query": THREADS_QUERY, "variables": variables},
            headers=HEADERS,
            not_found=f"{httpx.URL(url).host}: no GitHub GraphQL API at {url}",
            count=count,
        )
        return unresolved_of(json_of(response), response.url.host)

    def find_comment(self, target: TrackerTarget, issue: str, marker: str) -> str | None:
        repo = RepoKey.parse(target.key)
        number = issue_number(issue, "GitHub")
        url = httpx.URL(
            f"{api_root(target.base_url)}/{repo.path}/issues/{number}/comments",
            params={"per_page": "100"},
        )
        missing = f"issue #{number} not found in {repo}"
        for item in self._pages(url, target, repo, RequestCount(), missing):
            comment = GITHUB.mapping(item, "a comment")
            body = comment.get("body")
            if isinstance(body, str) and holds_marker(body, marker):
                return str(GITHUB.field(comment, "id", int, "a comment"))
        return None

    def add_comment(self, target: TrackerTarget, issue: str, body: str) -> str:
        repo = RepoKey.parse(target.key)
        number = issue_number(issue, "GitHub")
        response = self._http.post(
            f"{api_root(target.base_url)}/{repo.path}/issues/{number}/comments",
            token=target.token,
            json={"body": body},
            headers=HEADERS,
            not_found=f"issue #{number} not found in {repo}",
            count=RequestCount(),
            forbidden=ISSUES_SCOPE,
        )
        comment = GITHUB.mapping(json_of(response), "a comment")
        return str(GITHUB.field(comment, "id", int, "a comment"))

    def _pages(
        self,
        first: httpx.URL,
        target: TrackerTarget,
        repo: RepoKey,
        count: RequestCount,
        missing: str,
    ) -> Iterator[object]:
        """The items of every page of a list, following `Link: rel="next"`."""
        pages = PageGuard(first.host, max_pages=self._max_pages)
        url: httpx.URL | None = first
        while url is not None:
            pages.visit(url)
            response = self._get(url, target, repo, count, missing=missing)
            payload = json_of(response)
            if not isinstance(payload, list):
                raise TrackerError(f"GitHub sent {type(payload).__name__} where a list belongs")
            yield from payload
            url = next_link(response)

    def _get(
        self,
        url: httpx.URL,
        target: TrackerTarget,
        repo: RepoKey,
        count: RequestCount,
        headers: Mapping[str, str] = HEADERS,
        *,
        missing: str | None = None,
    ) -> httpx.Response:
        return self._http.get(
            str(url),
            token=target.token,
            headers=headers,
            not_found=missing or f"repository {repo} not found (or the token cannot see it)",
            count=count,
        )


def _no_checks() -> tuple[ChecksState, str, tuple[str, ...]]:
    return ChecksState.NONE, "", ()


def github_reason(response: httpx.Response) -> str:
    """GitHub's `message` and its `errors[].message`, on one short line."""
    try:
        payload = response.json()
    except ValueError:
        return "no reason given"
    if not isinstance(payload, Mapping):
        return "no reason given"
    texts = [str(payload.get("message") or "")]
    errors = payload.get("errors")
    if isinstance(errors, list):
        texts += [str(e.get("message", "")) for e in errors if isinstance(e, Mapping)]
    return one_line(": ".join(t for t in texts if t)) or "no reason given"


def issues_of(payload: object) -> list[RemoteIssue]:
    """The issues of one page of /issues, pull requests left out."""
    if not isinstance(payload, list):
        raise TrackerError(f"GitHub sent {type(payload).__name__} where a list of issues belongs")
    return [issue_from_github(item) for item in payload if not _is_pull_request(item)]


def _is_pull_request(item: object) -> bool:
    return isinstance(item, Mapping) and "pull_request" in item


def issue_from_github(item: object) -> RemoteIssue:
    if not isinstance(item, Mapping):
        raise TrackerError(f"GitHub sent {type(item).__name__} where an issue belongs")
    state = GITHUB.field(item, "state", str)
    if state not in ("open", "closed"):
        raise TrackerError(f"GitHub sent an issue whose state is {state[:20]!r}")
    body = item.get("body")
    return RemoteIssue(
        external_id=str(GITHUB.field(item, "id", int)),
        number=f"#{GITHUB.field(item, 'number', int)}",
        title=GITHUB.field(item, "title", str),
        body="" if body is None else GITHUB.field(item, "body", str),
        state=IssueState(state),
        labels=tuple(GITHUB.name(label) for label in GITHUB.field(item, "labels", list)),
        assignees=tuple(
            GITHUB.field(GITHUB.mapping(a), "login", str)
            for a in GITHUB.field(item, "assignees", list)
        ),
        url=GITHUB.field(item, "html_url", str),
        created_at=GITHUB.time(item, "created_at"),
        updated_at=GITHUB.time(item, "updated_at"),
    )
