"""Shapes every entrypoint prints the same way (the CLI's --json and the JSON API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiops.domain.model.jobs import Job
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
        "started_at": s.started_at.isoformat(),
        "last_activity": view.last_activity.isoformat() if view.last_activity else None,
        "attach": view.attach,
    }


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


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
        "next_run": _moment(job.next_run),
        "lease_owner": job.lease_owner,
        "lease_until": _moment(job.lease_until),
        "last_status": job.last_status.value if job.last_status else None,
        "last_started_at": _moment(job.last_started_at),
        "last_ended_at": _moment(job.last_ended_at),
        "last_duration": job.last_duration,
        "last_error": job.last_error,
    }
