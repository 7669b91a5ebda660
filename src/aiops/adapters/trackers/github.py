"""GitHubTracker: the IssueTracker port over GitHub's REST API (github.com or Enterprise)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

import attrs
import httpx

from aiops.adapters.trackers.http import (
    PageGuard,
    RequestCount,
    TrackerAdapter,
    json_of,
    next_link,
)
from aiops.adapters.trackers.payloads import Payload, iso8601
from aiops.domain.model.trackers import IssueState, RemoteIssue, TrackerError
from aiops.ports.issue_tracker import IssueChanges, TrackerTarget

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
GITHUB = Payload("GitHub")
REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")


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


class GitHubTracker(TrackerAdapter):
    """Lists changed issues and checks a connection; one pooled client, closed by close()."""

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
                return IssueChanges(issues=(), etag=etag, not_modified=True, requests=count.sent)
            if first:
                first_etag = response.headers.get("etag")
            issues.extend(issues_of(json_of(response)))
            url = next_link(response)
        return IssueChanges(issues=tuple(issues), etag=first_etag, requests=count.sent)

    def check(self, target: TrackerTarget) -> str:
        repo = RepoKey.parse(target.key)
        url = httpx.URL(f"{api_root(target.base_url)}/{repo.path}")
        payload = json_of(self._get(url, target, repo, RequestCount()))
        if not isinstance(payload, Mapping) or not isinstance(
            payload.get("open_issues_count"), int
        ):
            raise TrackerError(f"{url.host}: the repository answer has no open_issues_count")
        return f"{repo}: {payload['open_issues_count']} open issues"

    def _get(
        self,
        url: httpx.URL,
        target: TrackerTarget,
        repo: RepoKey,
        count: RequestCount,
        headers: Mapping[str, str] = HEADERS,
    ) -> httpx.Response:
        return self._http.get(
            str(url),
            token=target.token,
            headers=headers,
            not_found=f"repository {repo} not found (or the token cannot see it)",
            count=count,
        )


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
