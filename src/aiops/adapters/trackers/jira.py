"""JiraTracker: the IssueTracker port over Jira's REST API, Cloud (v3) and Server/Data Center (v2).

Which Jira: `GET /rest/api/2/serverInfo` answers on both; its `deploymentType` is "Cloud" or
"Server"/"DataCenter" (a Server old enough to lack it is Server). The answer is cached per base
URL for the adapter's life, so only a connection's first request of a process pays for it. A
host name (*.atlassian.net) would cost nothing but says nothing about a custom domain or a
test server; serverInfo is the signal Atlassian documents.

Search: JQL `project = "KEY" AND updated >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC`. Cloud
uses `GET /rest/api/3/search/jql` and follows `nextPageToken` until it is absent or `isLast`;
Server uses `GET /rest/api/2/search` with `startAt`, until a page is empty or `total` is
reached. Either loop is guarded: a token, URL or page of issues that repeats stops with an
error instead of running forever.

Authentication: a token shaped "email:api-token" is sent as Basic (Jira Cloud's API tokens
belong to an account's email); anything else as `Bearer` (a Server/Data Center personal access
token).

Time: JQL dates have minute precision and are read in the time zone of the user the token
belongs to. The adapter asks `/myself` for that zone once per base URL and token, writes
`since` as that zone's wall time and drops the seconds, so the query starts at or before
`since`. A zone Python does not know is replaced by UTC less fourteen hours (the widest
offset). Both only ever re-list an issue, which SyncIssues upserts as unchanged. `since` comes
from Jira's own `updated` times, so a skew between this machine's clock and Jira's never moves
the window; waits come from Retry-After, which is relative.

Jira has no ETags for search: `etag` is always None.

Comments (IssueComments): `GET`/`POST /rest/api/{3|2}/issue/{key}/comment`, the body as ADF on
Cloud and wiki markup on Server (jira_comments.py). The token's user needs the "Add comments"
project permission; a 403 says so. aiops's hidden marker `<!-- aiops:KEY -->` is written as a
visible grey line "aiops:KEY" (ADF keeps no HTML comment), and find_comment looks for that.
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Unpack
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from aiops.adapters.trackers.adf import adf_to_text
from aiops.adapters.trackers.budgets import token_key
from aiops.adapters.trackers.http import (
    PageGuard,
    RequestCount,
    TrackerAdapter,
    TrackerOptions,
    json_of,
)
from aiops.adapters.trackers.jira_comments import markdown_to_adf, markdown_to_wiki
from aiops.adapters.trackers.jira_payloads import (
    JIRA,
    issues_of,
)
from aiops.adapters.trackers.writes import holds_marker, one_line
from aiops.domain.model.trackers import RemoteIssue, TrackerError, TrackerNotFound
from aiops.ports.issue_tracker import IssueChanges, TrackerTarget

KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}")
ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}-[1-9][0-9]{0,12}")
COMMENT_SCOPE = "the Add comments permission"
FIELDS = "summary,description,status,labels,assignee,created,updated"
PAGE_SIZE = 100
HEADERS = {"Accept": "application/json"}
UNKNOWN_ZONE_MARGIN = timedelta(hours=14)


class Deployment(enum.Enum):
    CLOUD = "3"  # the REST API version each speaks
    SERVER = "2"

    @property
    def api(self) -> str:
        return f"rest/api/{self.value}"


def project_key(key: str) -> str:
    """The key, checked: it goes into JQL between double quotes and into a URL path."""
    if not KEY.fullmatch(key):
        raise TrackerError(f"{key[:80]!r} is not a Jira project key (such as OPS)")
    return key


def site_root(base_url: str) -> str:
    """https://acme.atlassian.net, or https://jira.example.com/jira with a context path."""
    url = httpx.URL(base_url.strip())
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise TrackerError(f"{base_url[:80]!r} is not a Jira URL (https://acme.atlassian.net)")
    return str(url).rstrip("/")


def authorization(token: str) -> str:
    """Basic for "email:api-token" (Jira Cloud), Bearer for anything else (a Server PAT)."""
    user, colon, secret = token.partition(":")
    if colon and "@" in user and secret:
        return "Basic " + base64.b64encode(token.encode()).decode("ascii")
    return f"Bearer {token}"


def jql_time(since: datetime, zone: tzinfo | None) -> str:
    """`since` as a JQL date in `zone` (the token's user's), floored to the minute, never later
    than `since`. An hour that a change from summer time repeats is moved back an hour."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if zone is None:
        local = since.astimezone(UTC) - UNKNOWN_ZONE_MARGIN
    else:
        local = since.astimezone(zone)
        if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
            local -= timedelta(hours=1)
    return local.strftime("%Y/%m/%d %H:%M")


def jql(key: str, since: str | None) -> str:
    window = f' AND updated >= "{since}"' if since else ""
    return f'project = "{key}"{window} ORDER BY updated ASC'


class JiraTracker(TrackerAdapter):
    """Lists changed issues and checks a connection; one pooled client, closed by close()."""

    def __init__(self, **options: Unpack[TrackerOptions]) -> None:
        super().__init__(**options)
        self._deployments: dict[str, Deployment] = {}
        self._zones: dict[tuple[str, str], tzinfo | None] = {}

    def changed_since(
        self, target: TrackerTarget, since: datetime | None, etag: str | None
    ) -> IssueChanges:
        key = project_key(target.key)
        root = site_root(target.base_url)
        count = RequestCount()
        deployment = self._deployment(root, target, count)
        window = None if since is None else jql_time(since, self._zone(root, target, count))
        query = jql(key, window)
        pages = PageGuard(httpx.URL(root).host, max_pages=self._max_pages)
        if deployment is Deployment.CLOUD:
            found = self._cloud_search(root, query, target, count, pages)
        else:
            found = self._server_search(root, query, target, count, pages)
        latest = {issue.external_id: issue for issue in found}  # a moved issue: its last copy
        return count.changes(latest.values(), None)

    def check(self, target: TrackerTarget) -> str:
        key = project_key(target.key)
        root = site_root(target.base_url)
        count = RequestCount()
        deployment = self._deployment(root, target, count)
        url = f"{root}/{deployment.api}/project/{key}"
        project = JIRA.mapping(_json(self._get(url, target, count, _missing(key))), "a project")
        return f"{key}: {JIRA.field(project, 'name', str, 'a project')}"

    def _deployment(self, root: str, target: TrackerTarget, count: RequestCount) -> Deployment:
        """Cloud or Server/Data Center, asked once per base URL (see the module docstring)."""
        known = self._deployments.get(root)
        if known is None:
            host = httpx.URL(root).host
            url = f"{root}/rest/api/2/serverInfo"
            absent = f"{host}: no Jira REST API under {root} (is the base URL right?)"
            known = deployment_of(_json(self._get(url, target, count, absent)), host)
            self._deployments[root] = known
        return known

    def _zone(self, root: str, target: TrackerTarget, count: RequestCount) -> tzinfo | None:
        """The time zone Jira reads the token's JQL dates in, asked once per site and token."""
        cache_key = (root, token_key(target.token))
        if cache_key not in self._zones:
            deployment = self._deployment(root, target, count)
            url = f"{root}/{deployment.api}/myself"
            absent = f"{httpx.URL(root).host}: Jira has no {deployment.api}/myself"
            me = JIRA.mapping(_json(self._get(url, target, count, absent)), "the current user")
            self._zones[cache_key] = _time_zone(me.get("timeZone"))
        return self._zones[cache_key]

    def _cloud_search(
        self, root: str, query: str, target: TrackerTarget, count: RequestCount, pages: PageGuard
    ) -> Iterator[RemoteIssue]:
        params = {"jql": query, "maxResults": str(PAGE_SIZE), "fields": FIELDS}
        page_token: str | None = None
        while True:
            following = {"nextPageToken": page_token} if page_token else {}
            url = httpx.URL(f"{root}/rest/api/3/search/jql", params=params | following)
            pages.visit(url)
            page = self._search(url, target, count)
            yield from issues_of(page, root)
            page_token = JIRA.optional(page, "nextPageToken", str, "a search answer")
            if page.get("isLast") is True or not page_token:
                return

    def _server_search(
        self, root: str, query: str, target: TrackerTarget, count: RequestCount, pages: PageGuard
    ) -> Iterator[RemoteIssue]:
        params = {"jql": query, "maxResults": str(PAGE_SIZE), "fields": FIELDS}
        start = 0
        seen: set[str] = set()
        while True:
            url = httpx.URL(f"{root}/rest/api/2/search", params=params | {"startAt": str(start)})
            pages.visit(url)
            page = self._search(url, target, count)
            answered = JIRA.optional(page, "startAt", int, "a search answer")
            if answered is not None and answered != start:
                raise TrackerError(
                    f"{url.host}: asked for issues from {start}, got them from {answered}; stopped"
                )
            batch = issues_of(page, root)
            if batch and seen.issuperset(i.external_id for i in batch):
                raise TrackerError(f"{url.host}: pagination loops (a page repeats its issues)")
            seen.update(i.external_id for i in batch)
            yield from batch
            start += len(batch)
            if not batch or start >= JIRA.field(page, "total", int, "a search answer"):
                return

    def _search(
        self, url: httpx.URL, target: TrackerTarget, count: RequestCount
    ) -> Mapping[str, object]:
        key = target.key
        response = self._http.get(
            str(url),
            token=target.token,
            headers=HEADERS,
            not_found=f"{url.host}: Jira has no {url.path} (is the base URL right?)",
            count=count,
            authorization=authorization(target.token),
            expected=(400,),
        )
        if response.status_code == 400:
            raise search_refused(response, key)
        return JIRA.mapping(_json(response), "a search answer")

    def find_comment(self, target: TrackerTarget, issue: str, marker: str) -> str | None:
        """The comment whose text holds the marker's "aiops:KEY" (pages of 100)."""
        key = issue_key(issue)
        root = site_root(target.base_url)
        count = RequestCount()
        deployment = self._deployment(root, target, count)
        pages = PageGuard(httpx.URL(root).host, max_pages=self._max_pages)
        start = 0
        while True:
            url = httpx.URL(
                f"{root}/{deployment.api}/issue/{key}/comment",
                params={"startAt": str(start), "maxResults": str(PAGE_SIZE), "orderBy": "created"},
            )
            pages.visit(url)
            page = JIRA.mapping(
                _json(self._get(str(url), target, count, _issue_missing(key))), "comments"
            )
            comments = JIRA.field(page, "comments", list, "comments")
            for item in comments:
                comment = JIRA.mapping(item, "a comment")
                body = comment.get("body")
                text = body if isinstance(body, str) else adf_to_text(body)
                if holds_marker(text, marker):
                    return str(comment.get("id"))
            start += len(comments)
            total = JIRA.optional(page, "total", int, "comments")
            if not comments or total is None or start >= total:
                return None

    def add_comment(self, target: TrackerTarget, issue: str, body: str) -> str:
        key = issue_key(issue)
        root = site_root(target.base_url)
        count = RequestCount()
        deployment = self._deployment(root, target, count)
        document: object = (
            markdown_to_adf(body) if deployment is Deployment.CLOUD else markdown_to_wiki(body)
        )
        response = self._http.post(
            f"{root}/{deployment.api}/issue/{key}/comment",
            token=target.token,
            json={"body": document},
            headers=HEADERS,
            not_found=_issue_missing(key),
            count=count,
            authorization=authorization(target.token),
            expected=(400,),
            forbidden=COMMENT_SCOPE,
        )
        if response.status_code == 400:
            raise TrackerError(
                f"{response.url.host}: Jira refused the comment (400): {jira_reason(response)}"
            )
        comment = JIRA.mapping(_json(response), "a comment")
        ident = comment.get("id")
        if not isinstance(ident, (str, int)) or isinstance(ident, bool):
            raise TrackerError("Jira sent a comment without an id")
        return str(ident)

    def _get(
        self, url: str, target: TrackerTarget, count: RequestCount, not_found: str
    ) -> httpx.Response:
        return self._http.get(
            url,
            token=target.token,
            headers=HEADERS,
            not_found=not_found,
            count=count,
            authorization=authorization(target.token),
        )


def deployment_of(payload: object, host: str) -> Deployment:
    info = payload if isinstance(payload, Mapping) else {}
    kind = info.get("deploymentType")
    if kind == "Cloud":
        return Deployment.CLOUD
    if kind in ("Server", "DataCenter") or (kind is None and isinstance(info.get("version"), str)):
        return Deployment.SERVER
    raise TrackerError(f"{host}: does not answer like Jira (serverInfo has no deploymentType)")


def search_refused(response: httpx.Response, key: str) -> TrackerError:
    """Jira answers 400 with errorMessages for bad JQL, an unknown project among them."""
    host = response.url.host
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    messages = payload.get("errorMessages") if isinstance(payload, Mapping) else None
    texts = [m for m in messages if isinstance(m, str)] if isinstance(messages, list) else []
    if any("'project'" in text or '"project"' in text for text in texts):
        return TrackerNotFound(_missing(key))
    reason = " ".join(" ".join(texts).split())[:200] or "no reason given"
    return TrackerError(f"{host}: Jira refused the search (400): {reason}")


def issue_key(issue: str) -> str:
    """An issue key such as OPS-7, checked: it goes into a URL path."""
    if not ISSUE_KEY.fullmatch(issue):
        raise TrackerError(f"{issue[:80]!r} is not a Jira issue key (such as OPS-7)")
    return issue


def jira_reason(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return "no reason given"
    texts: list[str] = []
    if isinstance(payload, Mapping):
        messages = payload.get("errorMessages")
        if isinstance(messages, list):
            texts += [str(m) for m in messages]
        errors = payload.get("errors")
        if isinstance(errors, Mapping):
            texts += [f"{k}: {v}" for k, v in errors.items()]
    return one_line(" ".join(texts)) or "no reason given"


def _issue_missing(key: str) -> str:
    return f"Jira issue {key} not found (or the token cannot see it)"


def _missing(key: str) -> str:
    return f"Jira project {key} not found (or the token cannot see it)"


def _time_zone(name: object) -> tzinfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _json(response: httpx.Response) -> object:
    """The JSON of an answer; a web page (a wrong base URL, a login page) is named as such."""
    if "html" in response.headers.get("content-type", ""):
        raise TrackerError(
            f"{response.url.host}: answered with a web page, not Jira's REST API "
            "(is the base URL right?)"
        )
    return json_of(response)
