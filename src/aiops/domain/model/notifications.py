"""Notifications (issue 18): what happened that someone should hear about, and where it goes.

A Notice is produced inside the transaction that records what happened (a session's status
changing to waiting, a playbook run failing, ...) and queued there; deliveries happen later,
outside the request, retried and rate-limited per target.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from aiops.domain.errors import ValidationError

if TYPE_CHECKING:
    from aiops.domain.model.automation import AutomationRun
    from aiops.domain.model.jobs import Job, JobOutcome
    from aiops.domain.model.trackers import RemoteIssue


class NoticeEvent(enum.StrEnum):
    # A user's own session (user targets subscribe to these by name)
    WAITING = "waiting"
    FINISHED = "finished"
    FAILED = "failed"
    # Tenant-wide (admins' tenant targets)
    RUN_FAILED = "run-failed"
    INCIDENT = "incident"
    JOB_FAILED = "job-failed"


@attrs.frozen(kw_only=True)
class Notice:
    event: NoticeEvent
    title: str  # one line, never a secret
    body: str
    dedup_key: str  # one delivery per key and target, e.g. "session:7:waiting:<since>"
    user_id: int | None = None  # whose targets hear it (their own session's events)
    tenant_id: int | None = None  # whose tenant-wide targets hear it
    link: str | None = None  # a path in aiops, e.g. /sessions/7


USER_EVENTS = frozenset({NoticeEvent.WAITING, NoticeEvent.FINISHED, NoticeEvent.FAILED})
TENANT_EVENTS = frozenset({NoticeEvent.RUN_FAILED, NoticeEvent.INCIDENT, NoticeEvent.JOB_FAILED})
LABEL_MAX = 100
URL_MAX = 2000
ERROR_MAX = 500
REFUSED_SCHEMES = frozenset({"file", "windows", "macosx", "dbus", "kde", "qt", "glib", "gnome"})


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class NotificationTarget:
    """Where a user's (user_id) or a tenant's (tenant_id) notices go: an apprise URL, sealed
    with the secret key (it holds tokens and passwords), and the events it wants."""

    label: str
    url_sealed: str = attrs.field(repr=False)
    url_masked: str  # scheme://host… : what pages, lists and logs show
    events: frozenset[NoticeEvent]
    created_at: datetime
    user_id: int | None = None
    tenant_id: int | None = None
    id: int | None = None
    last_result: DeliveryStatus | None = None  # sent | failed
    last_error: str | None = None
    last_at: datetime | None = None


@attrs.frozen(kw_only=True)
class Delivery:
    """One notice on its way to one target: queued, then sent, or failed after the last try."""

    target_id: int
    dedup_key: str
    event: NoticeEvent
    title: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    link: str | None = None
    status: DeliveryStatus = DeliveryStatus.QUEUED
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    id: int | None = None


def parse_events(text: str, allowed: frozenset[NoticeEvent]) -> frozenset[NoticeEvent]:
    """'waiting,finished' -> the events; ValidationError naming the allowed ones otherwise."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    known = ", ".join(sorted(allowed))
    if not names:
        raise ValidationError("events", f"name at least one of {known}")
    events: set[NoticeEvent] = set()
    for name in names:
        try:
            event = NoticeEvent(name)
        except ValueError:
            event = None
        if event is None or event not in allowed:
            raise ValidationError("events", f"{name[:40]!r} is not one of {known}")
        events.add(event)
    return frozenset(events)


def format_events(events: frozenset[NoticeEvent]) -> str:
    return ",".join(event.value for event in NoticeEvent if event in events)


def label(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > LABEL_MAX or not cleaned.isprintable():
        raise ValidationError("label", f"give 1 to {LABEL_MAX} printable characters")
    return cleaned


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31})://")
# Cloud metadata and link-local addresses, wherever they appear (host, ?smtp=, ...): a target
# must not make aiops read or poke the host's instance credentials.
_METADATA = re.compile(r"169\.254\.|\[?fe80:|metadata\.google\.internal|fd00:ec2::254", re.I)


def url_scheme(url: str) -> str:
    """The scheme of an apprise URL, refused when it is no URL, too long, or one that reads
    or writes on this host (file://, desktop notifications)."""
    if not url or len(url) > URL_MAX or not url.isprintable() or any(c.isspace() for c in url):
        raise ValidationError("url", f"give an apprise URL (at most {URL_MAX} characters)")
    found = _SCHEME.match(url)
    if found is None:
        raise ValidationError("url", "is not a URL: use e.g. json://host/path or mailto://...")
    scheme = found.group(1).lower()
    if scheme in REFUSED_SCHEMES:
        raise ValidationError("url", f"{scheme}:// is not allowed (it acts on the aiops host)")
    if _METADATA.search(url):
        raise ValidationError("url", "link-local and cloud metadata addresses are not allowed")
    return scheme


def mask_url(url: str) -> str:
    """scheme://host… : never the user, password, token or path."""
    scheme = url_scheme(url)
    rest = url[len(scheme) + 3 :]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = host.split(":", 1)[0] if not host.startswith("[") else host.split("]", 1)[0] + "]"
    return f"{scheme}://{host}…" if host else f"{scheme}://…"


def backoff(attempts: int) -> timedelta:
    """The wait before try `attempts + 1`: 5 s, 15 s, 45 s, ... at most 10 minutes."""
    return timedelta(seconds=min(5 * 3 ** max(attempts - 1, 0), 600))


def clip_error(text: str) -> str:
    line = " ".join(text.split())
    return line[:ERROR_MAX] or "failed"


# The notices of the tenant-wide sources: what a team's channel hears. Titles and bodies carry
# names, statuses and the tracker's own title, never a secret (run events are not included:
# their scrubbing is the run page's business).


def job_failed_notice(job: Job, outcome: JobOutcome) -> Notice:
    """A failed job belongs to no tenant: every tenant target that wants job-failed hears it."""
    return Notice(
        event=NoticeEvent.JOB_FAILED,
        dedup_key=f"job:{job.name}:{outcome.started_at.isoformat()}",
        title=f"aiops: job {job.name} ({job.kind}) failed",
        body=clip_error(outcome.error or "failed"),
        link="/admin/jobs",
    )


def run_failed_notice(run: AutomationRun) -> Notice:
    """A failed, timed-out or lost playbook run (runs belong to no tenant, as jobs)."""
    return Notice(
        event=NoticeEvent.RUN_FAILED,
        dedup_key=f"run:{run.id}",
        title=f"aiops: playbook {run.playbook} on {run.inventory}: {run.status.value}",
        body=f"run {run.id} by {run.started_by}, rc {run.rc if run.rc is not None else '-'}"
        + (f": {clip_error(run.reason)}" if run.reason else ""),
        link=f"/automation/runs/{run.id}",
    )


def incident_notices(
    issues: Sequence[RemoteIssue], labels: Sequence[str], *, tenant_id: int, connection_id: int
) -> list[Notice]:
    """One notice per newly synced issue that carries an incident label."""
    wanted = {label.lower() for label in labels}
    return [
        Notice(
            event=NoticeEvent.INCIDENT,
            tenant_id=tenant_id,
            dedup_key=f"incident:{connection_id}:{issue.external_id}",
            title=f"aiops: incident {issue.number}: {issue.title[:200]}",
            body=issue.url or issue.title[:200],
            link="/issues?incidents=1",
        )
        for issue in issues
        if wanted & {label.lower() for label in issue.labels}
    ]
