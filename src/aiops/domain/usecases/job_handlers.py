"""The handlers of the job kinds aiops ships: each checks its params' shape when a job is
added, and runs one existing use case when the job is due.

| kind            | params                                                    | runs            |
|-----------------|-----------------------------------------------------------|-----------------|
| sync-issues     | {"connection_id": 3, "full": false}                       | SyncIssues      |
| tmux-resync     | {}                                                        | ResyncTmux      |
| workspace-fetch | {"project_id": 2}                                         | FetchWorkspaces |
| playbook        | {"playbook": "ping", "inventory": "localhost",            | RunPlaybook     |
|                 |  "limit": "", "tags": "", "check": false, "extra_vars": {}} | (automation)    |
| notify          | {}                                                        | (notifications) |
| pr-loop         | {}                                                        | RunLoopSteps    |

A sync-issues job also refreshes the connection's pull requests (SyncPullRequests, issue 19)
when the container gives it that use case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from aiops.domain.errors import DomainError, ValidationError
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.jobs import Job, JobKind
from aiops.domain.usecases.notifications import DeliverNotifications
from aiops.domain.usecases.sessions import ResyncTmux
from aiops.domain.usecases.sync_issues import SyncIssues, SyncIssuesCommand
from aiops.domain.usecases.workspaces import FetchWorkspaces
from aiops.ports.jobs import JobHandler

if TYPE_CHECKING:
    from aiops.domain.usecases.pull_requests import RunLoopSteps, SyncPullRequests

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_TEXT_MAX = 500


class _Field:
    def __init__(self, kind: str, check: Callable[[Any], bool]) -> None:
        self.kind = kind
        self.check = check


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(_NAME.fullmatch(value)) and ".." not in value


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= _TEXT_MAX and value.isprintable()


ID = _Field("a positive whole number", _is_id)
FLAG = _Field("true or false", lambda value: isinstance(value, bool))
NAME = _Field("a name (letters, digits, '.', '_', '-'; no path)", _is_name)
TEXT = _Field(f"text (at most {_TEXT_MAX} characters)", _is_text)
MAPPING = _Field("a JSON object", lambda value: isinstance(value, dict))


def check_shape(
    kind: str,
    params: Mapping[str, Any],
    required: Mapping[str, _Field],
    optional: Mapping[str, _Field] | None = None,
) -> dict[str, Any]:
    """The params when each required key is there, no other key but the optional ones, and
    every value of its field's type; ValidationError naming the first problem otherwise."""
    optional = optional or {}
    allowed = {**required, **optional}
    for key in params:
        if key not in allowed:
            expected = ", ".join(sorted(allowed)) or "none"
            raise ValidationError(
                "params", f"{kind} takes no {str(key)[:40]!r} (its params: {expected})"
            )
    for key in required:
        if key not in params:
            raise ValidationError("params", f"{kind} needs {key!r}")
    for key, value in params.items():
        if not allowed[key].check(value):
            raise ValidationError("params", f"{kind}: {key!r} must be {allowed[key].kind}")
    return dict(params)


class SyncIssuesJob:
    def __init__(
        self,
        sync: Callable[[], SyncIssues],
        pulls: Callable[[], SyncPullRequests] | None = None,
    ) -> None:
        self._sync = sync
        self._pulls = pulls

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_shape(JobKind.SYNC_ISSUES, params, {"connection_id": ID}, {"full": FLAG})

    def __call__(self, job: Job) -> str:
        connection_id = job.params["connection_id"]
        runs = self._sync()(
            SyncIssuesCommand(
                connection_id=connection_id, full=bool(job.params.get("full")), actor=SYSTEM
            )
        )
        if not runs:
            raise DomainError(f"tracker connection {connection_id} does not exist")
        run = runs[0]
        if run.error:
            raise DomainError(run.error)
        summary = f"created {run.created}, updated {run.updated}, removed {run.removed}"
        if self._pulls is not None:
            refreshed = self._pulls()(connection_id)
            if refreshed:
                summary += f", pull requests refreshed {refreshed}"
        return summary


class TmuxResyncJob:
    def __init__(self, resync: Callable[[], ResyncTmux]) -> None:
        self._resync = resync

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_shape(JobKind.TMUX_RESYNC, params, {})

    def __call__(self, job: Job) -> str:
        report = self._resync()(actor=SYSTEM)
        return (
            f"recreated {len(report.recreated)}, pruned {len(report.pruned)}, "
            f"exited {len(report.exited)}"
        )


class WorkspaceFetchJob:
    def __init__(self, fetch: Callable[[], FetchWorkspaces]) -> None:
        self._fetch = fetch

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_shape(JobKind.WORKSPACE_FETCH, params, {"project_id": ID})

    def __call__(self, job: Job) -> str:
        report = self._fetch()(job.params["project_id"])
        summary = f"fetched {len(report.fetched)}, {report.missing} without a workspace"
        if report.failed:
            failures = "; ".join(f"{who}: {why}" for who, why in report.failed)
            raise DomainError(f"{summary}, {len(report.failed)} failed ({failures})")
        return summary


class ScheduledPlaybooks(Protocol):
    """Runs an allowlisted playbook with checked params; a one-line summary (the automation
    side plugs this in: automation.ScheduledPlaybook)."""

    def check(self, params: Mapping[str, Any]) -> None:
        """Refuse what would not run (not allowlisted, unknown inventory, bad extra vars)."""

    def __call__(self, params: Mapping[str, Any]) -> str: ...


class PlaybookJob:
    """Scheduled playbooks: the shape is checked here; the run goes to the automation when
    one is configured (the container's optional `playbook_runner`)."""

    def __init__(self, runner: ScheduledPlaybooks | None) -> None:
        self._runner = runner

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        checked = check_shape(
            JobKind.PLAYBOOK,
            params,
            {"playbook": NAME},
            {"inventory": NAME, "limit": TEXT, "tags": TEXT, "check": FLAG, "extra_vars": MAPPING},
        )
        if self._runner is not None:
            self._runner.check(checked)
        return checked

    def __call__(self, job: Job) -> str:
        if self._runner is None:
            raise DomainError("automation not configured: this aiops cannot run playbooks")
        return self._runner(job.params)


class NotifyJob:
    """The catch-up of notifications: what the web servers' delivery threads have not sent
    (none runs, or retries fell due), drained until nothing is due."""

    def __init__(self, deliver: Callable[[], DeliverNotifications]) -> None:
        self._deliver = deliver

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_shape(JobKind.NOTIFY, params, {})

    def __call__(self, job: Job) -> str:
        deliver = self._deliver()
        sent = retried = failed = deferred = 0
        while (report := deliver()).claimed:
            sent, retried = sent + report.sent, retried + report.retried
            failed, deferred = failed + report.failed, deferred + report.deferred
        return f"sent {sent}, retried {retried}, failed {failed}, deferred {deferred}"


class PullRequestLoopJob:
    """The issue-to-PR loop's due steps (open a pull request, comment on the issue, send a
    review to the agent), for an aiops whose web server runs no loop thread (or as a
    catch-up): run until none is due."""

    def __init__(self, run: Callable[[], RunLoopSteps]) -> None:
        self._run = run

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return check_shape(JobKind.PR_LOOP, params, {})

    def __call__(self, job: Job) -> str:
        run = self._run()
        total = 0
        for _ in range(LOOP_ROUNDS_MAX):
            ran = run()
            total += ran
            if not ran:
                break
        return f"ran {total} loop step(s)"


LOOP_ROUNDS_MAX = 50


def default_handlers(
    *,
    sync: Callable[[], SyncIssues],
    resync: Callable[[], ResyncTmux],
    fetch: Callable[[], FetchWorkspaces],
    playbook: ScheduledPlaybooks | None,
    notify: Callable[[], DeliverNotifications] | None = None,
    pulls: Callable[[], SyncPullRequests] | None = None,
    loop: Callable[[], RunLoopSteps] | None = None,
) -> dict[str, JobHandler]:
    """The handlers by kind; each builds its use case when a job runs (adding a job only
    checks params, and starts no tracker client or tmux)."""
    return {
        JobKind.SYNC_ISSUES.value: SyncIssuesJob(sync, pulls),
        JobKind.TMUX_RESYNC.value: TmuxResyncJob(resync),
        JobKind.WORKSPACE_FETCH.value: WorkspaceFetchJob(fetch),
        JobKind.PLAYBOOK.value: PlaybookJob(playbook),
        **({JobKind.NOTIFY.value: NotifyJob(notify)} if notify is not None else {}),
        **({JobKind.PR_LOOP.value: PullRequestLoopJob(loop)} if loop is not None else {}),
    }
