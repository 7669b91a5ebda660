"""GitLabTracker: the IssueTracker, CodeHost and IssueComments ports over GitLab's REST API v4
(gitlab.com or self-hosted).

Writes (opening a merge request, a note on an issue) need a token with the `api` scope
(`read_api` reads only); a 403 on a write says so. A draft is opened with the "Draft: " title
prefix, which every GitLab version reads. Reading a merge request costs three requests (the
merge request, its approvals, its discussions), four when its pipeline failed (the failed
jobs)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Unpack
from urllib.parse import quote

import attrs
import httpx

from aiops.adapters.trackers.gitlab_pulls import (
    approved,
    failed_jobs,
    head_pipeline_id,
    pull_from_gitlab,
    review_of,
)
from aiops.adapters.trackers.http import (
    PageGuard,
    RequestCount,
    TrackerAdapter,
    TrackerOptions,
    json_of,
    next_link,
)
from aiops.adapters.trackers.payloads import Payload, iso8601
from aiops.adapters.trackers.writes import branch_name, holds_marker, issue_number, one_line
from aiops.domain.model.pull_requests import ChecksState, RemotePull
from aiops.domain.model.trackers import IssueState, RemoteIssue, TrackerError
from aiops.ports.issue_tracker import IssueChanges, TrackerTarget

HEADERS = {"Accept": "application/json"}
GITLAB = Payload("GitLab")
PROJECT_ID = re.compile(r"[0-9]{1,12}")
PROJECT_PATH = re.compile(r"[A-Za-z0-9_.-]{1,255}(?:/[A-Za-z0-9_.-]{1,255}){1,20}")
STATES = {"opened": IssueState.OPEN, "closed": IssueState.CLOSED}
KEYSET_REFUSED = 405  # "Keyset pagination is not yet available for this type of request"
WRITE_SCOPE = "the `api` scope"


@attrs.frozen
class ProjectKey:
    """A numeric project id or a group/subgroup/project path: one URL segment either way."""

    key: str

    @classmethod
    def parse(cls, key: str) -> ProjectKey:
        path = PROJECT_PATH.fullmatch(key) and ".." not in key
        if not (PROJECT_ID.fullmatch(key) or path):
            raise TrackerError(
                f"{key[:80]!r} is not a GitLab project (a project id or group/project path)"
            )
        return cls(key)

    @property
    def path(self) -> str:
        return f"projects/{quote(self.key, safe='')}"

    def __str__(self) -> str:
        return self.key


def api_root(base_url: str) -> str:
    """<base>/api/v4, for https://gitlab.com or a self-hosted GitLab (maybe under a path
    prefix); a base URL that already ends with /api/v4 is taken as it is."""
    url = httpx.URL(base_url.strip())
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise TrackerError(f"{base_url[:80]!r} is not a GitLab URL (https://gitlab.com)")
    root = str(url).rstrip("/")
    return root if root.endswith("/api/v4") else f"{root}/api/v4"


def issues_url(
    root: str, project: ProjectKey, since: datetime | None, *, keyset: bool
) -> httpx.URL:
    params = {"per_page": "100", "order_by": "updated_at", "sort": "asc"}
    if keyset:
        params["pagination"] = "keyset"
    if since is not None:
        params["updated_after"] = iso8601(since)
    return httpx.URL(f"{root}/{project.path}/issues", params=params)


class GitLabTracker(TrackerAdapter):
    """Lists changed issues, checks a connection, opens and reads merge requests, comments on
    issues; one pooled client, closed by close()."""

    def __init__(self, **options: Unpack[TrackerOptions]) -> None:
        super().__init__(**options)
        self._offset_only: set[str] = set()  # API roots that refused keyset pages for issues

    def changed_since(
        self, target: TrackerTarget, since: datetime | None, etag: str | None
    ) -> IssueChanges:
        """Every state (the endpoint's default), oldest update first, keyset pages when the
        server gives a `Link: rel="next"`, else offset pages by X-Next-Page."""
        project = ProjectKey.parse(target.key)
        count = RequestCount()
        first = self._first_page(target, project, since, etag, count)
        if first.status_code == 304:
            return count.changes((), etag, not_modified=True)
        pages = PageGuard(first.url.host, max_pages=self._max_pages)
        pages.visit(first.url)
        issues = issues_of(gitlab_json(first))
        url = next_page(first)
        while url is not None:
            pages.visit(url)
            response = self._get(url, target, project, count)
            if response.status_code == 304:
                raise TrackerError(f"{url.host}: a later page answered 304 Not Modified")
            issues.extend(issues_of(gitlab_json(response)))
            url = next_page(response)
        return count.changes(issues, first.headers.get("etag"))

    def _first_page(
        self,
        target: TrackerTarget,
        project: ProjectKey,
        since: datetime | None,
        etag: str | None,
        count: RequestCount,
    ) -> httpx.Response:
        """Keyset pages where this GitLab offers them; a GitLab that answers 405 (keyset not
        available for this request) is asked for offset pages, from then on."""
        root = api_root(target.base_url)
        headers = dict(HEADERS) | ({"If-None-Match": etag} if etag else {})
        keyset = root not in self._offset_only
        url = issues_url(root, project, since, keyset=keyset)
        expected = frozenset({KEYSET_REFUSED}) if keyset else frozenset()
        response = self._get(url, target, project, count, headers=headers, expected=expected)
        if response.status_code == KEYSET_REFUSED:
            self._offset_only.add(root)
            url = issues_url(root, project, since, keyset=False)
            response = self._get(url, target, project, count, headers=headers)
        return response

    def check(self, target: TrackerTarget) -> str:
        project = ProjectKey.parse(target.key)
        url = httpx.URL(f"{api_root(target.base_url)}/{project.path}")
        payload = gitlab_json(self._get(url, target, project, RequestCount()))
        if not isinstance(payload, Mapping) or not isinstance(
            payload.get("path_with_namespace"), str
        ):
            raise TrackerError(f"{url.host}: the answer is not a GitLab project")
        name = payload["path_with_namespace"]
        count = payload.get("open_issues_count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise TrackerError(f"{name}: issues are disabled for this project (no issue count)")
        return f"{name}: {count} open issues"

    def find_pull(self, target: TrackerTarget, *, head: str) -> RemotePull | None:
        """The newest merge request from `head` (any state), without approvals and threads."""
        return self._find_pull(target, head, "all")

    def _find_pull(self, target: TrackerTarget, head: str, state: str) -> RemotePull | None:
        project = ProjectKey.parse(target.key)
        params = {
            "state": state,
            "source_branch": branch_name(head),
            "order_by": "created_at",
            "sort": "desc",
            "per_page": "1",
        }
        url = httpx.URL(f"{api_root(target.base_url)}/{project.path}/merge_requests", params=params)
        payload = gitlab_json(self._get(url, target, project, RequestCount()))
        if not isinstance(payload, list):
            kind = type(payload).__name__
            raise TrackerError(f"GitLab sent {kind} where a list of merge requests belongs")
        return pull_from_gitlab(payload[0]) if payload else None

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
        """`POST /merge_requests`; when GitLab answers that one already exists for the branch
        (409), the one that exists."""
        project = ProjectKey.parse(target.key)
        payload = {
            "source_branch": branch_name(head),
            "target_branch": branch_name(base),
            "title": f"Draft: {title}" if draft else title,
            "description": body,
        }
        response = self._http.post(
            f"{api_root(target.base_url)}/{project.path}/merge_requests",
            token=target.token,
            json=payload,
            headers=HEADERS,
            not_found=f"project {project} not found (or the token cannot see it)",
            count=RequestCount(),
            expected=(409, 422),
            forbidden=WRITE_SCOPE,
        )
        if response.status_code in (409, 422):
            reason = gitlab_reason(response)
            if "already exists" in reason.lower():
                found = self._find_pull(target, head, "opened")
                if found is not None:
                    return found
            raise TrackerError(
                f"{response.url.host}: GitLab refused the merge request "
                f"({response.status_code}): {reason}"
            )
        return pull_from_gitlab(gitlab_json(response))

    def pull(self, target: TrackerTarget, number: int) -> RemotePull:
        project = ProjectKey.parse(target.key)
        root = f"{api_root(target.base_url)}/{project.path}"
        mr_root = f"{root}/merge_requests/{int(number)}"
        count = RequestCount()
        missing = f"merge request !{number} not found in {project}"
        item = gitlab_json(self._get(httpx.URL(mr_root), target, project, count, missing=missing))
        remote = pull_from_gitlab(item)
        approvals = gitlab_json(
            self._get(httpx.URL(f"{mr_root}/approvals"), target, project, count, missing=missing)
        )
        discussions = httpx.URL(f"{mr_root}/discussions", params={"per_page": "100"})
        review, unresolved = review_of(
            approved(approvals), self._pages(discussions, target, project, count, missing)
        )
        failing: tuple[str, ...] = ()
        pipeline = head_pipeline_id(item)
        if pipeline is not None:
            jobs = httpx.URL(
                f"{root}/pipelines/{pipeline}/jobs", params={"scope[]": "failed", "per_page": "100"}
            )
            failing = failed_jobs(gitlab_json(self._get(jobs, target, project, count)))
        summary = remote.checks_summary
        if remote.checks is ChecksState.FAILING and failing:
            summary = f"{summary}: {len(failing)} failing"
        return attrs.evolve(
            remote,
            review=review,
            unresolved=unresolved,
            failing_checks=failing,
            checks_summary=summary,
        )

    def find_comment(self, target: TrackerTarget, issue: str, marker: str) -> str | None:
        project = ProjectKey.parse(target.key)
        iid = issue_number(issue, "GitLab")
        url = httpx.URL(
            f"{api_root(target.base_url)}/{project.path}/issues/{iid}/notes",
            params={"per_page": "100", "sort": "asc", "order_by": "created_at"},
        )
        missing = f"issue #{iid} not found in {project}"
        for item in self._pages(url, target, project, RequestCount(), missing):
            note = GITLAB.mapping(item, "a note")
            body = note.get("body")
            if isinstance(body, str) and holds_marker(body, marker):
                return str(GITLAB.field(note, "id", int, "a note"))
        return None

    def add_comment(self, target: TrackerTarget, issue: str, body: str) -> str:
        project = ProjectKey.parse(target.key)
        iid = issue_number(issue, "GitLab")
        response = self._http.post(
            f"{api_root(target.base_url)}/{project.path}/issues/{iid}/notes",
            token=target.token,
            json={"body": body},
            headers=HEADERS,
            not_found=f"issue #{iid} not found in {project}",
            count=RequestCount(),
            forbidden=WRITE_SCOPE,
        )
        note = GITLAB.mapping(gitlab_json(response), "a note")
        return str(GITLAB.field(note, "id", int, "a note"))

    def _pages(
        self,
        first: httpx.URL,
        target: TrackerTarget,
        project: ProjectKey,
        count: RequestCount,
        missing: str,
    ) -> Iterator[object]:
        """The items of every page of a list (Link or X-Next-Page)."""
        pages = PageGuard(first.host, max_pages=self._max_pages)
        url: httpx.URL | None = first
        while url is not None:
            pages.visit(url)
            response = self._get(url, target, project, count, missing=missing)
            payload = gitlab_json(response)
            if not isinstance(payload, list):
                raise TrackerError(f"GitLab sent {type(payload).__name__} where a list belongs")
            yield from payload
            url = next_page(response)

    def _get(
        self,
        url: httpx.URL,
        target: TrackerTarget,
        project: ProjectKey,
        count: RequestCount,
        *,
        headers: Mapping[str, str] = HEADERS,
        expected: frozenset[int] = frozenset(),
        missing: str | None = None,
    ) -> httpx.Response:
        """GitLab takes personal and project access tokens as OAuth-style Bearer tokens, the
        TrackerHttp default, so the token goes in no header of its own."""
        return self._http.get(
            str(url),
            token=target.token,
            headers=headers,
            not_found=missing or f"project {project} not found (or the token cannot see it)",
            count=count,
            expected=expected,
        )


def gitlab_reason(response: httpx.Response) -> str:
    """GitLab's `message` (a string, a list, or a mapping of field -> list), on one line."""
    try:
        payload = response.json()
    except ValueError:
        return "no reason given"
    message = payload.get("message", payload.get("error")) if isinstance(payload, Mapping) else None
    if isinstance(message, list):
        text = " ".join(str(m) for m in message)
    elif isinstance(message, Mapping):
        text = " ".join(
            f"{k} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in message.items()
        )
    else:
        text = "" if message is None else str(message)
    return one_line(text) or "no reason given"


def gitlab_json(response: httpx.Response) -> object:
    """The JSON body; an HTML page (a login page, a proxy, a wiki) says the URL is no GitLab."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") or response.content.lstrip()[:1] == b"<":
        raise TrackerError(
            f"{response.url.host}: answered an HTML page, not GitLab's API "
            "(is the base URL a GitLab server?)"
        )
    return json_of(response)


def next_page(response: httpx.Response) -> httpx.URL | None:
    """The keyset `Link: rel="next"`, or the offset X-Next-Page (empty on the last page)."""
    link = next_link(response)
    if link is not None:
        return link
    following = response.headers.get("x-next-page", "").strip()
    if not following:
        return None
    if not following.isdigit() or int(following) < 1:
        raise TrackerError(f"{response.url.host}: X-Next-Page is {following[:20]!r}, not a page")
    return response.url.copy_set_param("page", following)


def issues_of(payload: object) -> list[RemoteIssue]:
    if not isinstance(payload, list):
        raise TrackerError(f"GitLab sent {type(payload).__name__} where a list of issues belongs")
    return [issue_from_gitlab(item) for item in payload]


def issue_from_gitlab(item: object) -> RemoteIssue:
    if not isinstance(item, Mapping):
        raise TrackerError(f"GitLab sent {type(item).__name__} where an issue belongs")
    state = GITLAB.field(item, "state", str)
    if state not in STATES:
        raise TrackerError(f"GitLab sent an issue whose state is {state[:20]!r}")
    description = item.get("description")
    return RemoteIssue(
        external_id=str(GITLAB.field(item, "id", int)),
        number=f"#{GITLAB.field(item, 'iid', int)}",
        title=GITLAB.field(item, "title", str),
        body="" if description is None else GITLAB.field(item, "description", str),
        state=STATES[state],
        labels=tuple(GITLAB.name(label) for label in GITLAB.field(item, "labels", list)),
        assignees=tuple(
            GITLAB.field(GITLAB.mapping(a), "username", str)
            for a in GITLAB.field(item, "assignees", list)
        ),
        url=GITLAB.field(item, "web_url", str),
        created_at=GITLAB.time(item, "created_at"),
        updated_at=GITLAB.time(item, "updated_at"),
    )
