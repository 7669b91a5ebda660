"""A fake issue tracker (ports/issue_tracker.py)."""

from __future__ import annotations

from datetime import datetime

from aiops.domain.model.trackers import (
    IssueState,
    RemoteIssue,
    TrackerAuthFailed,
    TrackerError,
)
from aiops.ports.issue_tracker import IssueChanges, TrackerTarget


class FakeIssueTracker:
    """One tracker's remote issues by external id, as the tests change them. It answers like
    the real APIs: `since` is inclusive, a known etag with nothing changed is a free 304."""

    def __init__(self, token: str = "good-token") -> None:  # noqa: S107 - a test value
        self.issues: dict[str, RemoteIssue] = {}
        self.token = token
        self.requests = 0
        self.rate_limit_remaining: int | None = None  # what its answers' headers say, if any
        self.refusal: TrackerError | None = None  # raised by every listing while set
        self._version = 0

    def put(self, issue: RemoteIssue) -> None:
        self.issues[issue.external_id] = issue
        self._version += 1

    def delete(self, external_id: str) -> None:
        self.issues.pop(external_id, None)
        self._version += 1

    def changed_since(
        self, target: TrackerTarget, since: datetime | None, etag: str | None
    ) -> IssueChanges:
        self.requests += 1
        if self.refusal is not None:
            raise self.refusal
        if target.token != self.token:
            raise TrackerAuthFailed("the token was refused")
        current = f'"{self._version}-{since}"'
        if etag == current:
            return IssueChanges(
                issues=(),
                etag=etag,
                not_modified=True,
                requests=1,
                rate_limit_remaining=self.rate_limit_remaining,
            )
        found = sorted(
            (i for i in self.issues.values() if since is None or i.updated_at >= since),
            key=lambda i: (i.updated_at, i.external_id),
        )
        return IssueChanges(
            issues=tuple(found),
            etag=current,
            requests=1,
            rate_limit_remaining=self.rate_limit_remaining,
        )

    def check(self, target: TrackerTarget) -> str:
        if target.token != self.token:
            raise TrackerAuthFailed("the token was refused")
        return f"{target.key}: {sum(i.state is IssueState.OPEN for i in self.issues.values())} open"
