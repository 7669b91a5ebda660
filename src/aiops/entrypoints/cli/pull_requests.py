"""aiops pr open | list | review-to-agent: the pull requests aiops opens for issues (issue 19)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from aiops.domain.model.pull_requests import LoopStep, PullRequest

app = typer.Typer(help="Pull (merge) requests opened from issues' worktrees.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("open")
def open_(
    issue_id: Annotated[int, typer.Option("--issue-id", help="The issue's id.")],
    draft: Annotated[bool, typer.Option("--draft", help="Open it as a draft.")] = False,
    user_email: Annotated[
        str | None,
        typer.Option(
            "--user-email",
            help="Whose worktree (their email); default: the one user with a worktree for it.",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Push the issue's branch and open its pull (merge) request against the default branch,
    then comment on the issue; an open one is reused. A tracker error leaves the step
    pending: it is retried with backoff."""
    from aiops.domain.usecases.pull_requests import OpenPullRequestCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object
    from aiops.entrypoints.presenters import loop_step_row, pull_request_row

    outcome = open_container().open_pull_request()(
        OpenPullRequestCommand(issue_id=issue_id, draft=draft, user_email=user_email, actor=actor())
    )
    pull = outcome.pull_request
    if json:
        print_object(
            {
                "pull_request": None if pull is None else pull_request_row(pull),
                "step": loop_step_row(outcome.step),
            }
        )
        return
    print(_said(outcome.step, pull))


def _said(step: LoopStep, pull: PullRequest | None) -> str:
    from aiops.domain.model.pull_requests import StepState

    if step.state is StepState.PENDING:
        when = step.next_attempt_at.isoformat(timespec="seconds")
        return f"step {step.key} pending ({step.last_error or 'queued'}): retried at {when}"
    if step.state is StepState.FAILED:
        return f"step {step.key} failed: {step.last_error or 'unknown error'}"
    if pull is None:
        return f"step {step.key} done: {step.result or 'nothing to do'}"
    return (
        f"pull request #{pull.number} {pull.state.value}: {pull.url} ({pull.head} -> {pull.base})"
    )


@app.command("list")
def list_(
    project_id: Annotated[
        int | None, typer.Option("--project-id", help="Only this project's.")
    ] = None,
    json: Json = False,
) -> None:
    """The pull requests aiops opened, with their state, checks and review as last synced."""
    from aiops.domain.usecases.pull_requests import ListPullRequestsCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object, print_table
    from aiops.entrypoints.presenters import pull_request_row

    pulls = open_container().list_pull_requests()(
        ListPullRequestsCommand(project_id=project_id, actor=actor())
    )
    if json:
        print_object({"pull_requests": [pull_request_row(pull) for pull in pulls]})
        return
    print_table(
        [_row(pull) for pull in pulls],
        ["id", "project_id", "issue_id", "number", "state", "review", "checks", "unresolved",
         "head", "url"],
        empty="no pull requests: aiops pr open --issue-id I",
    )  # fmt: skip


def _row(pull: PullRequest) -> dict[str, Any]:
    return {
        "id": pull.id,
        "project_id": pull.project_id,
        "issue_id": pull.issue_id,
        "number": pull.number,
        "state": pull.state.value,
        "review": pull.review.value,
        "checks": pull.checks_summary or pull.checks.value,
        "unresolved": len(pull.unresolved),
        "head": pull.head,
        "url": pull.url,
    }


@app.command("review-to-agent")
def review_to_agent(
    pull_request_id: Annotated[
        int, typer.Argument(metavar="PR_ID", help="The pull request's id (aiops pr list).")
    ],
    json: Json = False,
) -> None:
    """Send the pull request's unresolved review comments and failing checks to its agent:
    written into the worktree's AGENTS.override.md, then a short prompt typed into its pane
    (the agent is relaunched if it exited)."""
    from aiops.domain.usecases.pull_requests import ReviewToAgentCommand
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object
    from aiops.entrypoints.presenters import loop_step_row

    outcome = open_container().review_to_agent()(
        ReviewToAgentCommand(pull_request_id=pull_request_id, actor=actor())
    )
    if json:
        print_object({"step": loop_step_row(outcome.step)})
        return
    step = outcome.step
    if step.state.value == "done":
        print(f"review sent to the agent of pull request {pull_request_id}: {step.result or 'ok'}")
    else:
        print(_said(step, None))
