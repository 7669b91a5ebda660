"""HTTP for tracker adapters (GitHub, GitLab, Jira): one pooled httpx client, the
network guard on every hop, manual redirects, per-token rate limits and concurrency, bounded
retries. Every failure leaves as a Tracker* error that names the host, never the token.

Writes (POST) pass the same guard and budgets but are never retried once sent: a 5xx or a lost
answer may hide a write that took effect, so the caller looks the result up before trying
again (the loop's steps do: find_pull, find_comment). Only a connection that could not be
opened (nothing sent) is retried. A write answered with a redirect is refused, not followed."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from types import TracebackType
from typing import Self, TypedDict, Unpack

import attrs
import httpcore
import httpx
import stamina

from aiops.adapters.system_clock import SystemClock
from aiops.adapters.trackers.budgets import TokenBudgets, remaining_of
from aiops.adapters.trackers.guard import GuardedBackend, NetworkGuard, Resolver, resolve
from aiops.domain.model.trackers import (
    RemoteIssue,
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerUnreachable,
)
from aiops.ports.clock import Clock
from aiops.ports.issue_tracker import IssueChanges

MAX_REDIRECTS = 5


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how patiently a failed request (5xx, connection error, timeout) is retried:
    exponential backoff with jitter, bounded in attempts and in total time."""

    attempts: int = 3
    wait_initial: float = 0.5
    wait_max: float = 4.0
    wait_jitter: float = 0.5
    total_timeout: float = 60.0


@attrs.define
class RequestCount:
    """Counts every HTTP request sent (retries and redirect hops included), and keeps the
    rate-limit headroom the last answer told (X-RateLimit-Remaining / RateLimit-Remaining)."""

    sent: int = 0
    rate_limit_remaining: int | None = None

    def changes(
        self, issues: Iterable[RemoteIssue], etag: str | None, *, not_modified: bool = False
    ) -> IssueChanges:
        """What a listing found, with what it cost and the headroom it left."""
        return IssueChanges(
            issues=tuple(issues),
            etag=etag,
            not_modified=not_modified,
            requests=self.sent,
            rate_limit_remaining=self.rate_limit_remaining,
        )


class _ServerFailed(Exception):
    """A 5xx answer, raised inside the retry loop so that stamina retries it."""

    def __init__(self, status: int) -> None:
        super().__init__(f"answered {status}")
        self.status = status


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


class TrackerHttp:
    """GETs and POSTs with a bearer token, for one adapter; reuse it (it pools connections),
    close it."""

    def __init__(
        self,
        *,
        allow_private_networks: bool = False,
        timeout: float = 10.0,
        max_in_flight: int = 4,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self._guard = NetworkGuard(allow_private_networks=allow_private_networks, resolve=resolver)
        self._budgets = TokenBudgets(clock=clock or SystemClock(), max_in_flight=max_in_flight)
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        limits = httpx.Limits(
            max_connections=max(10, 4 * max_in_flight), max_keepalive_connections=10
        )
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # followed by hand: each hop goes through the guard
            transport=guarded_transport(self._guard, limits),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> TrackerHttp:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        token: str,
        headers: Mapping[str, str],
        not_found: str,
        count: RequestCount,
        authorization: str | None = None,
        expected: Collection[int] = (),
        forbidden: str | None = None,
    ) -> httpx.Response:
        """A 2xx or 304 answer, or one whose status the adapter `expected` (a 4xx it handles);
        any other ends as a Tracker* error (`not_found` for a 404).

        `token` keys the rate-limit budget; the Authorization header is `Bearer <token>` unless
        the adapter gives its own (`authorization`, e.g. Basic for Jira Cloud). Statuses in
        `expected` come back as answers for the adapter to read (Jira explains a 400; GitLab's
        405 means "no keyset pagination here"). `forbidden` names what a 403 lacks (a scope)."""
        target = httpx.URL(url)
        host = target.host
        policy = self._retry
        try:
            for attempt in stamina.retry_context(
                on=(_ServerFailed, httpx.TransportError),
                attempts=policy.attempts,
                timeout=policy.total_timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    response = self._follow(
                        target, token, headers, count, authorization or f"Bearer {token}"
                    )
        except _ServerFailed as error:
            raise TrackerError(
                f"{host}: the server failed ({error.status}) {policy.attempts} times; "
                "try again later"
            ) from None
        except httpx.TimeoutException:
            raise TrackerUnreachable(
                f"{host}: no answer within {self._timeout:g}s ({policy.attempts} attempts)"
            ) from None
        except httpx.TransportError as error:
            raise TrackerUnreachable(
                f"{host}: cannot connect ({type(error).__name__}, {policy.attempts} attempts)"
            ) from None
        if response.status_code in expected:
            return response
        return _checked(response, host, not_found, forbidden)

    def post(
        self,
        url: str,
        *,
        token: str,
        json: object,
        headers: Mapping[str, str],
        not_found: str,
        count: RequestCount,
        authorization: str | None = None,
        expected: Collection[int] = (),
        forbidden: str | None = None,
    ) -> httpx.Response:
        """POST `json`; the answer as get() gives it, but sent at most once (see the module
        docstring): a 5xx is a TrackerError at once, a redirect is refused, and a timeout says
        the write may have taken effect. `forbidden` names what a 403 lacks, e.g. "the `api`
        scope"; 429 (or an exhausted budget) is TrackerRateLimited, as for a GET."""
        target = httpx.URL(url)
        host = target.host
        policy = self._retry
        sent = {**headers, "Authorization": authorization or f"Bearer {token}"}
        try:
            for attempt in stamina.retry_context(
                on=(httpx.ConnectError, httpx.ConnectTimeout),  # nothing was sent
                attempts=policy.attempts,
                timeout=policy.total_timeout,
                wait_initial=policy.wait_initial,
                wait_max=policy.wait_max,
                wait_jitter=policy.wait_jitter,
            ):
                with attempt:
                    response = self._send("POST", target, token, sent, count, body=json)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise TrackerUnreachable(
                f"{host}: cannot connect ({type(error).__name__}, {policy.attempts} attempts)"
            ) from None
        except httpx.TimeoutException:
            raise TrackerUnreachable(
                f"{host}: no answer within {self._timeout:g}s; the write may have taken effect"
            ) from None
        except httpx.TransportError as error:
            raise TrackerUnreachable(
                f"{host}: the connection failed ({type(error).__name__}); "
                "the write may have taken effect"
            ) from None
        status = response.status_code
        if status >= 500:
            raise TrackerError(
                f"{host}: the server failed ({status}); not retried at once, "
                "the write may have taken effect"
            )
        if response.has_redirect_location:
            raise TrackerError(f"{host}: answered a write with a redirect ({status}); refused")
        if status in expected:
            return response
        return _checked(response, host, not_found, forbidden)

    def _send(
        self,
        method: str,
        url: httpx.URL,
        token: str,
        headers: Mapping[str, str],
        count: RequestCount,
        *,
        body: object = None,
    ) -> httpx.Response:
        """One request through the guard and the token's budget; the budget learns the answer
        (and raises TrackerRateLimited for a 429 or an exhausted limit)."""
        self._guard.check(url)
        with self._budgets.slot(token, url.host):
            count.sent += 1
            if method == "GET":
                response = self._client.get(url, headers=headers)
            else:
                response = self._client.request(method, url, headers=headers, json=body)
        count.rate_limit_remaining = rate_limit_remaining(response.headers, count)
        self._budgets.observe(token, response, url.host)
        return response

    def _follow(
        self,
        url: httpx.URL,
        token: str,
        headers: Mapping[str, str],
        count: RequestCount,
        authorization: str,
    ) -> httpx.Response:
        start = origin(url)
        sent = {**headers, "Authorization": authorization}
        for _ in range(MAX_REDIRECTS + 1):
            if origin(url) != start:
                self._guard.check(url)
                raise TrackerError(
                    f"{start[1]}: refused a redirect to {url.host}: the token is only sent "
                    "to the host it belongs to"
                )
            response = self._send("GET", url, token, sent, count)
            if response.status_code >= 500:
                raise _ServerFailed(response.status_code)
            if not response.has_redirect_location:
                return response
            url = url.join(response.headers["location"])
        raise TrackerError(f"{start[1]}: more than {MAX_REDIRECTS} redirects")


class TrackerOptions(TypedDict, total=False):
    allow_private_networks: bool
    timeout: float
    max_in_flight: int
    clock: Clock | None
    retry: RetryPolicy | None
    max_pages: int
    resolver: Resolver


class TrackerAdapter:
    """What every tracker adapter shares: one TrackerHttp (pooled; close() or `with` closes
    it) and the most pages one listing may take."""

    def __init__(self, **options: Unpack[TrackerOptions]) -> None:
        self._http = TrackerHttp(
            allow_private_networks=options.get("allow_private_networks", False),
            timeout=options.get("timeout", 10.0),
            max_in_flight=options.get("max_in_flight", 4),
            clock=options.get("clock"),
            retry=options.get("retry"),
            resolver=options.get("resolver", resolve),
        )
        self._max_pages = options.get("max_pages", 10_000)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def guarded_transport(guard: NetworkGuard, limits: httpx.Limits) -> httpx.HTTPTransport:
    """httpx's transport, its connection pool rebuilt on the GuardedBackend (httpx has no
    public way to pass a network backend; tests/integration/trackers/test_network_guard.py
    fails if this stops taking effect). No proxy: nothing between us and the checked address."""
    transport = httpx.HTTPTransport(limits=limits, trust_env=False)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(guard),
    )
    return transport


def rate_limit_remaining(headers: Mapping[str, str], count: RequestCount) -> int | None:
    """The answer's headroom, or the last one seen when it does not say (Jira often)."""
    remaining = remaining_of(headers)
    return count.rate_limit_remaining if remaining is None else remaining


def _checked(
    response: httpx.Response, host: str, not_found: str, forbidden: str | None = None
) -> httpx.Response:
    status = response.status_code
    if 200 <= status < 300 or status == 304:
        return response
    if status == 401:
        raise TrackerAuthFailed(f"{host}: the token was refused")
    if status == 403:
        if forbidden:
            raise TrackerAuthFailed(f"{host}: the token may not do this: it needs {forbidden}")
        raise TrackerAuthFailed(f"{host}: the token may not do this (403 Forbidden)")
    if status == 404:
        raise TrackerNotFound(not_found)
    raise TrackerError(f"{host}: unexpected answer {status}")


def json_of(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        raise TrackerError(f"{response.url.host}: the answer is not valid JSON") from None


def next_link(response: httpx.Response) -> httpx.URL | None:
    """The `Link: <...>; rel="next"` page, only on the origin the request went to."""
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    url = response.url.join(link)
    if origin(url) != origin(response.url):
        raise TrackerError(f"{response.url.host}: refused a next page on another host ({url.host})")
    return url


@attrs.define
class PageGuard:
    """Stops a pagination that never ends: too many pages, or a next URL seen before."""

    host: str
    max_pages: int = 10_000
    _seen: set[str] = attrs.field(factory=set)

    def visit(self, url: httpx.URL) -> None:
        key = str(url)
        if key in self._seen:
            raise TrackerError(f"{self.host}: pagination loops (a next page repeats)")
        if len(self._seen) >= self.max_pages:
            raise TrackerError(f"{self.host}: more than {self.max_pages} pages; stopped")
        self._seen.add(key)
