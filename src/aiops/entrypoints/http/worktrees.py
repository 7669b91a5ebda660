"""The dashboard card's worktree forms: add one (on a branch or an issue's branch), remove one.

Each posts here; the card's snapshot (with the worktrees) is refreshed before the page comes
back, and the result or the refusal comes as a flash message.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.worktrees import AddWorktreeCommand, RemoveWorktreeCommand
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, require_actor
from aiops.entrypoints.http.workspaces import CARD_ERRORS

BASE = "/projects/{project_id:int}/worktrees"


async def _back(request: Request, actor: Actor, project_id: int) -> Response:
    ref = WorkspaceRef(project_id=project_id, actor=actor)
    await call(container(request).refresh_snapshot(), ref)
    return redirect(f"/#project-{project_id}")


def _issue_id(text: str) -> int | None:
    text = text.strip().removeprefix("#")
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise ValidationError("issue", f"{text[:40]!r} is not an issue id")
    return int(text)


async def add(request: Request) -> Response:
    actor = await require_actor(request)
    project_id = request.path_params["project_id"]
    try:
        data = await form(request)
        cmd = AddWorktreeCommand(
            project_id=project_id,
            issue_id=_issue_id(field(data, "issue")),
            branch=field(data, "branch").strip() or None,
            from_ref=field(data, "from").strip() or None,
            actor=actor,
        )
        result = await call(container(request).add_worktree(), cmd)
    except CARD_ERRORS as error:
        flash(request, f"Worktree: {error.message}", "error")
        return await _back(request, actor, project_id)
    worktree = result.worktree
    verb = "Added" if result.created else "You have"
    flash(request, f"{verb} worktree {worktree.branch} at {worktree.path}.")
    return await _back(request, actor, project_id)


async def remove(request: Request) -> Response:
    actor = await require_actor(request)
    project_id = request.path_params["project_id"]
    try:
        data = await form(request)
        cmd = RemoveWorktreeCommand(
            worktree_id=request.path_params["worktree_id"],
            project_id=project_id,
            force=field(data, "force") == "on",
            actor=actor,
        )
        removed = await call(container(request).remove_worktree(), cmd)
    except CARD_ERRORS as error:
        flash(request, f"Remove worktree: {error.message}", "error")
        return await _back(request, actor, project_id)
    flash(request, f"Removed worktree {removed.path} (branch {removed.branch} kept).")
    return await _back(request, actor, project_id)


routes = [
    Route(BASE, add, methods=["POST"]),
    Route(f"{BASE}/{{worktree_id:int}}/remove", remove, methods=["POST"]),
]
