"""Issue trackers: a project's connections to GitHub, GitLab or Jira, the issues they hold, and
the local triage that aiops keeps beside each issue (a sync never overwrites it)."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from aiops.domain.errors import DomainError, ValidationError


class Provider(enum.StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    JIRA = "jira"

    @classmethod
    def parse(cls, value: str) -> Provider:
        try:
            return cls(value)
        except ValueError:
            allowed = "|".join(p.value for p in cls)
            raise ValidationError("provider", f"{value[:40]!r} is not one of {allowed}") from None


class IssueState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    REMOVED = "removed"  # gone from the tracker (seen by a full sync)


class TriageStatus(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Severity(enum.StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"


@attrs.frozen(kw_only=True)
class RemoteIssue:
    """An issue as its tracker reports it (adapters build these with named constructors)."""

    external_id: str  # stable id in the tracker (GitHub node/number, GitLab iid, Jira id)
    number: str  # what people call it: "#12", "PROJ-7"
    title: str
    body: str
    state: IssueState
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    url: str = ""
    created_at: datetime
    updated_at: datetime


@attrs.frozen(kw_only=True)
class Triage:
    """What aiops adds to an issue. Only people change it; a sync never does."""

    status: TriageStatus = TriageStatus.NEW
    severity: Severity | None = None
    owner_id: int | None = None
    note: str = ""


@attrs.frozen(kw_only=True)
class Issue:
    connection_id: int
    project_id: int
    provider: Provider
    remote: RemoteIssue
    triage: Triage = Triage()
    id: int | None = None


@attrs.frozen(kw_only=True)
class TrackerConnection:
    """A project's tracker. The token and webhook secret are kept sealed (SecretBox)."""

    project_id: int
    provider: Provider
    base_url: str
    key: str  # owner/repo (GitHub), project id or path (GitLab), project key (Jira)
    token_sealed: str = attrs.field(repr=False)
    webhook_secret_sealed: str | None = attrs.field(default=None, repr=False)
    token_saved_at: datetime | None = None  # when the token was last set (pages show the date)
    cursor: datetime | None = None  # the newest updated_at seen: incremental syncs start here
    etag: str | None = None  # of the last first page, for a free 304 when nothing changed
    last_error: str | None = None
    id: int | None = None


class TrackerError(DomainError):
    """The tracker refused or failed; the message says why without any secret."""

    code = "tracker_failed"


class TrackerAuthFailed(TrackerError):
    code = "tracker_auth_failed"


class TrackerNotFound(TrackerError):
    """The repository or project does not exist (or the token may not see it)."""

    code = "tracker_not_found"


class TrackerRateLimited(TrackerError):
    """No request may be sent for this token before `resume_at`."""

    code = "tracker_rate_limited"

    def __init__(self, message: str, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class TrackerUnreachable(TrackerError):
    code = "tracker_unreachable"


@attrs.frozen(kw_only=True)
class SyncRun:
    """One connection's sync: what it found, what it cost, and what went wrong."""

    connection_id: int
    started_at: datetime
    finished_at: datetime
    full: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    requests: int = 0
    error: str | None = None
    id: int | None = None

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
