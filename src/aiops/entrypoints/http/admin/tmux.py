"""Admin -> Settings: the "tmux Sessions" card. It counts the live AI sessions and resyncs
tmux with the records (recreate missing windows, prune sessions of deleted projects), or
only says what a resync would do (dry run)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import DomainError
from aiops.domain.model.access import Actor
from aiops.domain.model.sessions import AgentStatus
from aiops.domain.usecases.sessions import ResyncReport
from aiops.entrypoints.http.admin._common import require_admin
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect

SETTINGS = "/admin/settings"
SHOWN = 10  # targets named in the message; the rest are counted


async def tmux_card(request: Request, actor: Actor) -> dict[str, Any]:
    """What the card shows: the live sessions (their status read from tmux, one call per
    server) and where the tmux servers live."""
    app = container(request)
    views = await call(app.list_sessions(), actor)
    policy = app.session_policy()
    return {
        "tmux_live": sum(1 for view in views if view.status is not AgentStatus.EXITED),
        "tmux_socket": f"{policy.tmux_tmpdir.rstrip('/')}/tmux-<uid>/{policy.socket_name}",
    }


def _names(targets: tuple[str, ...]) -> str:
    shown = ", ".join(targets[:SHOWN])
    more = len(targets) - SHOWN
    return f" ({shown}{f' and {more} more' if more > 0 else ''})" if targets else ""


def summary(report: ResyncReport) -> str:
    """One line: what the resync did, or would do on a dry run."""
    would = "would " if report.dry_run else ""
    parts = [
        f"{would}recreate {len(report.recreated)} window"
        f"{'s' if len(report.recreated) != 1 else ''}{_names(report.recreated)}",
        f"{would}prune {len(report.pruned)} session"
        f"{'s' if len(report.pruned) != 1 else ''}{_names(report.pruned)}",
    ]
    if report.exited:
        parts.append(f"{len(report.exited)} could not be recreated{_names(report.exited)}")
    title = "tmux resync (dry run)" if report.dry_run else "tmux resync"
    return f"{title}: {', '.join(parts)}."


async def resync(request: Request) -> Response:
    actor = await require_admin(request)
    data = await form(request)
    dry_run = field(data, "dry_run") in ("1", "on", "true")
    try:
        report = await call(partial(container(request).resync_tmux(), dry_run=dry_run, actor=actor))
    except DomainError as error:
        flash(request, f"tmux resync: {error.message}", "error")
        return redirect(SETTINGS)
    flash(request, summary(report), "error" if report.exited else "info")
    return redirect(SETTINGS)


routes = [Route("/admin/tmux/resync", resync, methods=["POST"])]
