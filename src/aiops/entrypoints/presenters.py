"""Shapes every entrypoint prints the same way (the CLI's --json and the JSON API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from aiops.domain.model.automation import AutomationRun, Playbook, RunEvent
from aiops.domain.model.jobs import Job
from aiops.domain.model.pull_requests import LoopStep, PullRequest
from aiops.domain.model.sessions import AgentEvent
from aiops.domain.usecases.sessions import SessionView


def session_row(view: SessionView) -> dict[str, Any]:
    s = view.session
    return {
        "id": s.id,
        "project_id": s.project_id,
        "user_id": s.user_id,
        "tool": s.tool.value,
        "issue_id": s.issue_id,
        "linux_user": s.linux_user,
        "tmux_socket": s.tmux_socket,
        "tmux_session": s.tmux_session,
        "tmux_window": s.tmux_window,
        "status": view.status.value,
        "status_since": (s.status_since or s.started_at).isoformat(),
        "status_source": s.status_source.value,
        "started_at": s.started_at.isoformat(),
        "last_activity": view.last_activity.isoformat() if view.last_activity else None,
        "attach": view.attach,
        "shared": s.shared,
    }


def agent_event_row(event: AgentEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "session_id": event.session_id,
        "event": event.event,
        "event_id": event.event_id,
        "status": event.status.value,
        "source": event.source.value,
        "at": event.at.isoformat(),
    }


def _iso(moment: datetime | None, timespec: str = "auto") -> str | None:
    return moment.isoformat(timespec=timespec) if moment else None


def job_row(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "kind": job.kind,
        "schedule": job.schedule.describe(),
        "every_seconds": job.schedule.every_seconds,
        "cron": job.schedule.cron,
        "timezone": job.schedule.timezone,
        "params": dict(job.params),
        "enabled": job.enabled,
        "next_run": _iso(job.next_run, "seconds"),
        "lease_owner": job.lease_owner,
        "lease_until": _iso(job.lease_until, "seconds"),
        "last_status": job.last_status.value if job.last_status else None,
        "last_started_at": _iso(job.last_started_at, "seconds"),
        "last_ended_at": _iso(job.last_ended_at, "seconds"),
        "last_duration": job.last_duration,
        "last_error": job.last_error,
    }


def playbook_row(playbook: Playbook) -> dict[str, Any]:
    return {"name": playbook.name, "description": playbook.description}


def run_row(run: AutomationRun) -> dict[str, Any]:
    """An automation run (secret extra vars already masked by the use case)."""
    return {
        "id": run.id,
        "playbook": run.playbook,
        "inventory": run.inventory,
        "limit": run.limit,
        "tags": run.tags,
        "check": run.check,
        "extra_vars": dict(run.extra_vars),
        "identity": run.identity,
        "status": run.status.value,
        "rc": run.rc,
        "started_by": run.started_by,
        "queued_at": run.queued_at.isoformat(),
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
        "duration_seconds": run.duration_seconds,
        "summary": [attrs.asdict(host) for host in run.summary],
        "cancel_requested": run.cancel_requested,
        "runner": run.runner,
        "runner_seen_at": _iso(run.runner_seen_at),
        "reason": run.reason,
    }


def event_row(event: RunEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "event": event.event,
        "host": event.host,
        "task": event.task,
        "status": event.status,
        "stdout": event.stdout,
        "at": _iso(event.at),
    }


def pull_request_row(pull: PullRequest) -> dict[str, Any]:
    """A pull request as the API and `aiops pr list --json` show it (issue 19)."""
    return {
        "id": pull.id,
        "project_id": pull.project_id,
        "issue_id": pull.issue_id,
        "user_id": pull.user_id,
        "connection_id": pull.connection_id,
        "provider": pull.provider.value,
        "number": pull.number,
        "url": pull.url,
        "head": pull.head,
        "base": pull.base,
        "title": pull.title,
        "state": pull.state.value,
        "review": pull.review.value,
        "checks": pull.checks.value,
        "checks_summary": pull.checks_summary,
        "failing_checks": list(pull.failing_checks),
        "unresolved_comments": [
            {"path": c.path, "line": c.line, "author": c.author, "body": c.body}
            for c in pull.unresolved
        ],
        "created_at": pull.created_at.isoformat(),
        "updated_at": pull.updated_at.isoformat(),
    }


def loop_step_row(step: LoopStep) -> dict[str, Any]:
    """One step of the issue-to-PR loop (issue 19): what it does, where it is, what it made."""
    return {
        "id": step.id,
        "kind": step.kind.value,
        "key": step.key,
        "state": step.state.value,
        "attempts": step.attempts,
        "next_attempt_at": _iso(step.next_attempt_at),
        "last_error": step.last_error,
        "result": step.result,
    }
