"""/api/v1: from issue to merged pull request (issue 19). Start work on an issue (its worktree,
the agent, the triage), open its pull request, list pull requests, send a review back to the
agent."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.usecases.issue_work import StartIssueWorkCommand
from aiops.domain.usecases.pull_requests import (
    ListPullRequestsCommand,
    OpenPullRequestCommand,
    ReviewToAgentCommand,
)
from aiops.entrypoints.http.api._io import api_actor, body, out, query
from aiops.entrypoints.http.api.outputs import (
    IssueWorkStarted,
    PullRequestOpened,
    PullRequests,
    StepQueued,
)
from aiops.entrypoints.http.api.shapes import IssueWorkIn, PullRequestIn
from aiops.entrypoints.http.api.types import Id
from aiops.entrypoints.http.web import call, container
from aiops.entrypoints.presenters import loop_step_row, pull_request_row, session_row

# The query parameters of GET /api/v1/pull-requests, as the route reads them and the document
# publishes them.
QUERY = {"project_id": Id, "issue_id": Id}


async def work(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, IssueWorkIn)
    app = container(request)
    cmd = StartIssueWorkCommand(
        issue_id=request.path_params["issue_id"],
        tool=data.tool.value,
        user_email=data.user_email,
        actor=actor,
    )
    started = await call(app.start_issue_work(), cmd)
    view, _ = await call(app.view_session(), started.session.id, actor)
    tree = started.worktree
    shown = {
        "session": session_row(view) | {"created": started.created},
        "created": started.created,
        "worktree": {"id": tree.id, "branch": tree.branch, "path": tree.path},
        "issue": started.issue,
    }
    return out(IssueWorkStarted, shown, 201)


async def open_pull_request(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, PullRequestIn, empty_ok=True)
    cmd = OpenPullRequestCommand(
        issue_id=request.path_params["issue_id"],
        draft=data.draft,
        user_email=data.user_email,
        actor=actor,
    )
    outcome = await call(container(request).open_pull_request(), cmd)
    pull = outcome.pull_request
    shown = {
        "pull_request": None if pull is None else pull_request_row(pull),
        "step": loop_step_row(outcome.step),
    }
    return out(PullRequestOpened, shown, 201)


async def list_pull_requests(request: Request) -> Response:
    actor = await api_actor(request)
    cmd = ListPullRequestsCommand(
        project_id=query(request, "project_id", Id),
        issue_id=query(request, "issue_id", Id),
        actor=actor,
    )
    pulls = await call(container(request).list_pull_requests(), cmd)
    return out(PullRequests, {"pull_requests": [pull_request_row(pull) for pull in pulls]})


async def review_to_agent(request: Request) -> Response:
    actor = await api_actor(request)
    cmd = ReviewToAgentCommand(pull_request_id=request.path_params["pull_request_id"], actor=actor)
    outcome = await call(container(request).review_to_agent(), cmd)
    return out(StepQueued, {"step": loop_step_row(outcome.step)}, 202)


routes = [
    Route("/api/v1/issues/{issue_id:int}/work", work, methods=["POST"]),
    Route("/api/v1/issues/{issue_id:int}/pull-request", open_pull_request, methods=["POST"]),
    Route("/api/v1/pull-requests", list_pull_requests, methods=["GET"]),
    Route(
        "/api/v1/pull-requests/{pull_request_id:int}/review-to-agent",
        review_to_agent,
        methods=["POST"],
    ),
]
