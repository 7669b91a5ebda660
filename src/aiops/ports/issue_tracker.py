"""One tracker API (GitHub, GitLab or Jira): list what changed, check a connection.

Adapters follow their API's documented behaviour (pagination, conditional requests, rate
limits, retries) and raise the Tracker* errors of aiops.domain.model.trackers, never a
library's exception. They never log or echo the token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import attrs

from aiops.domain.model.trackers import RemoteIssue


@attrs.frozen(kw_only=True)
class TrackerTarget:
    """What an adapter needs of a connection: where, which project, and the opened token."""

    base_url: str
    key: str
    token: str = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class IssueChanges:
    issues: tuple[RemoteIssue, ...]  # every issue updated at or after `since` (all pages)
    etag: str | None  # the first page's ETag, to send as If-None-Match next time
    not_modified: bool = False  # the tracker answered 304: nothing changed, no issues listed
    requests: int = 0  # HTTP requests made (a 304 counts)
    rate_limit_remaining: int | None = None  # the last answer's headroom, when it said


class IssueTracker(Protocol):
    def changed_since(
        self, target: TrackerTarget, since: datetime | None, etag: str | None
    ) -> IssueChanges:
        """Issues updated at or after `since` (every issue when None), pull requests and other
        non-issues left out. `etag` is the previous answer's; a 304 gives not_modified."""
        ...

    def check(self, target: TrackerTarget) -> str:
        """ "Test connection": one cheap authenticated request; a short description of what was
        found (e.g. "acme/web: 12 open issues"), or a Tracker* error saying what is wrong."""
        ...
