"""Shapes every entrypoint prints the same way (the CLI's --json and the JSON API)."""

from __future__ import annotations

from typing import Any

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
