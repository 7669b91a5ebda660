"""Per-token rate limits and concurrency, keyed by a hash of the token (never the token).

The tracker says how many requests are left and when the window resets (X-RateLimit-Remaining
and X-RateLimit-Reset on GitHub, RateLimit-* on GitLab) or how long to wait (Retry-After).
Once it says none are left, no request for that token leaves before the reset. A reset is a
time on the tracker's clock: when its Date header shows that clock off from ours, the reset is
moved by the difference, and the message says so.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import attrs
import httpx

from aiops.domain.model.trackers import TrackerRateLimited
from aiops.ports.clock import Clock

DEFAULT_WAIT = timedelta(seconds=60)  # told to stop without being told for how long
SKEW_TOLERANCE = timedelta(seconds=5)  # Date has whole seconds, and the answer took a while


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


@attrs.define
class _Budget:
    slots: threading.BoundedSemaphore
    resume_at: datetime | None = None
    note: str = ""  # why resume_at is not the tracker's own reset time


def _header_int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return int(value.strip())
            except ValueError:
                return None
    return None


def remaining_of(headers: Mapping[str, str]) -> int | None:
    """Requests left in the window, as GitHub (X-RateLimit-Remaining) or GitLab and the IETF
    draft (RateLimit-Remaining) say it."""
    return _header_int(headers, "x-ratelimit-remaining", "ratelimit-remaining")


def clock_skew(headers: Mapping[str, str], now: datetime) -> timedelta:
    """How far the tracker's clock (its Date header) runs ahead of ours; zero when it does not
    say or is within SKEW_TOLERANCE."""
    try:
        server = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return timedelta(0)
    if server.tzinfo is None:
        server = server.replace(tzinfo=UTC)
    skew = server - now
    return skew if abs(skew) > SKEW_TOLERANCE else timedelta(0)


def skew_note(skew: timedelta) -> str:
    if not skew:
        return ""
    seconds = round(abs(skew.total_seconds()))
    side = "ahead of" if skew > timedelta(0) else "behind"
    return f" (the tracker's clock is {seconds}s {side} ours)"


class TokenBudgets:
    def __init__(self, *, clock: Clock, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self._clock = clock
        self._max_in_flight = max_in_flight
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}

    def _budget(self, token: str) -> _Budget:
        key = token_key(token)
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = _Budget(threading.BoundedSemaphore(self._max_in_flight))
                self._budgets[key] = budget
            return budget

    @contextmanager
    def slot(self, token: str, host: str) -> Iterator[None]:
        """Hold one of the token's in-flight slots, if its rate limit lets a request leave."""
        budget = self._budget(token)
        self._ensure_open(budget, host)
        with budget.slots:
            self._ensure_open(budget, host)  # another request may have spent the budget
            yield

    def _ensure_open(self, budget: _Budget, host: str) -> None:
        resume_at = budget.resume_at
        if resume_at is not None and self._clock.now() < resume_at:
            raise TrackerRateLimited(
                f"{host}: rate limit reached; requests resume at {resume_at:%Y-%m-%d %H:%M:%S} UTC"
                + budget.note,
                resume_at,
            )

    def observe(self, token: str, response: httpx.Response, host: str) -> None:
        """Learn the budget from an answer; a 403/429 that is a rate limit raises."""
        headers = response.headers
        remaining = remaining_of(headers)
        reset = _header_int(headers, "x-ratelimit-reset", "ratelimit-reset")
        limited = response.status_code == 429 or (
            response.status_code == 403 and ("retry-after" in headers or remaining == 0)
        )
        now = self._clock.now()
        resume_at: datetime | None = None
        skew = timedelta(0)
        if limited and "retry-after" in headers:
            seconds = _header_int(headers, "retry-after")
            resume_at = now + (DEFAULT_WAIT if seconds is None else timedelta(seconds=seconds))
        elif remaining == 0 and reset:
            skew = clock_skew(headers, now)
            resume_at = datetime.fromtimestamp(reset, UTC) - skew
        elif limited or remaining == 0:
            resume_at = now + DEFAULT_WAIT
        budget = self._budget(token)
        if resume_at is not None:
            with self._lock:
                if budget.resume_at is None or budget.resume_at < resume_at:
                    budget.resume_at = resume_at
                    budget.note = skew_note(skew)
        if limited:
            self._ensure_open(budget, host)
            raise TrackerRateLimited(  # a reset already past: still do not hammer
                f"{host}: rate limited ({response.status_code})", now + timedelta(seconds=1)
            )
