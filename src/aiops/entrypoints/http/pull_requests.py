"""The issue-to-pull-request loop on the pages (issue 19): "Work on it", "Open pull request"
and "Send review to agent". Each answers with a flash message on the page it came from.

An issue or pull request the user may not see is a 404 and a viewer's click a 403 (the use
cases decide); every refusal the user can act on (nothing to propose, no code host, the push
rejected, no worktree yet) comes back as a flash message.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import DomainError, NotFound, PermissionDenied
from aiops.domain.model.pull_requests import LoopStep, PullRequest, PullState, StepState
from aiops.domain.model.workspaces import WorkspaceMissing
from aiops.domain.model.worktrees import WorktreeMissing
from aiops.domain.usecases.issue_work import StartIssueWorkCommand
from aiops.domain.usecases.pull_requests import (
    OpenPullRequestCommand,
    ReviewToAgentCommand,
    StepOutcome,
)
from aiops.entrypoints.http.web import (
    call,
    container,
    field,
    flash,
    form,
    redirect,
    require_actor,
)


def back_to(target: str, default: str = "/issues") -> str:
    """Only back to the pages the loop's buttons are on: the issues view, a session's page
    (never an absolute or a protocol-relative URL)."""
    if target.startswith("//") or "\\" in target:
        return default
    return target if target.startswith(("/issues", "/sessions/")) else default


def _refusal(error: DomainError) -> bool:
    """A refusal shown as a flash message; NotFound and PermissionDenied reach the error pages
    (404, 403), but for a missing workspace or worktree: something the user can make."""
    if isinstance(error, WorkspaceMissing | WorktreeMissing):
        return True
    return not isinstance(error, NotFound | PermissionDenied)


async def work_on_issue(request: Request) -> Response:
    """Make (or reuse) the issue's worktree, start the agent there, take the issue: then the
    session's page."""
    actor = await require_actor(request)
    data = await form(request)
    back = back_to(field(data, "next", "/issues"))
    cmd = StartIssueWorkCommand(
        issue_id=request.path_params["issue_id"], tool=field(data, "tool"), actor=actor
    )
    try:
        started = await call(container(request).start_issue_work(), cmd)
    except DomainError as error:
        if not _refusal(error):
            raise
        flash(request, f"Work on it: {error.message}", "error")
        return redirect(back)
    session, worktree = started.session, started.worktree
    verb = "started" if started.created else "was running already: focused"
    flash(
        request,
        f"{session.tool.value} {verb} on {started.issue.remote.number} in the worktree "
        f"{worktree.branch}; the issue is in progress, yours.",
    )
    return redirect(f"/sessions/{session.id}")


async def open_pull_request(request: Request) -> Response:
    actor = await require_actor(request)
    data = await form(request)
    back = back_to(field(data, "next", "/issues"))
    cmd = OpenPullRequestCommand(
        issue_id=request.path_params["issue_id"], draft=field(data, "draft") == "on", actor=actor
    )
    try:
        outcome = await call(container(request).open_pull_request(), cmd)
    except DomainError as error:
        if not _refusal(error):
            raise
        flash(request, f"Pull request: {error.message}", "error")
        return redirect(back)
    message, kind = opened_message(outcome)
    flash(request, message, kind)
    return redirect(back)


async def review_to_agent(request: Request) -> Response:
    actor = await require_actor(request)
    data = await form(request)
    back = back_to(field(data, "next", "/issues"))
    cmd = ReviewToAgentCommand(pull_request_id=request.path_params["pull_request_id"], actor=actor)
    try:
        outcome = await call(container(request).review_to_agent(), cmd)
    except DomainError as error:
        if not _refusal(error):
            raise
        flash(request, f"Review to agent: {error.message}", "error")
        return redirect(back)
    message, kind = reviewed_message(outcome)
    flash(request, message, kind)
    return redirect(back)


def opened_message(outcome: StepOutcome) -> tuple[str, str]:
    """What the page says of an open step: opened (its link), nothing to propose, queued for
    a retry (the error, when), failed (why)."""
    step, pull = outcome.step, outcome.pull_request
    if step.state is StepState.DONE and pull is not None:
        return f"Pull request #{pull.number} {_state_words(pull)}: {pull.url}", "info"
    if step.state is StepState.DONE:
        return f"Pull request: {step.result or 'nothing to propose'}.", "info"
    return _not_done("Pull request", step)


def reviewed_message(outcome: StepOutcome) -> tuple[str, str]:
    step, pull = outcome.step, outcome.pull_request
    if step.state is StepState.DONE:
        what = f" of #{pull.number}" if pull is not None else ""
        said = f": {step.result}" if step.result else ""
        return f"Review{what} sent to the agent{said}.", "info"
    return _not_done("Review to agent", step)


def _state_words(pull: PullRequest) -> str:
    return "opened as a draft" if pull.state is PullState.DRAFT else "is open"


def _not_done(what: str, step: LoopStep) -> tuple[str, str]:
    if step.state is StepState.FAILED:
        return f"{what}: failed: {step.last_error or 'no reason given'}", "error"
    if step.last_error:
        when = step.next_attempt_at.strftime("%H:%M:%S UTC")
        return f"{what}: queued for a retry at {when}: {step.last_error}", "error"
    return f"{what}: queued; it runs in a moment.", "info"


routes = [
    Route("/issues/{issue_id:int}/work", work_on_issue, methods=["POST"]),
    Route("/issues/{issue_id:int}/pull-request", open_pull_request, methods=["POST"]),
    Route(
        "/pull-requests/{pull_request_id:int}/review-to-agent", review_to_agent, methods=["POST"]
    ),
]
