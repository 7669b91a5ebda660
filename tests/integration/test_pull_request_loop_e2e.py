"""Issue 19 end to end, once per tracker: from an issue to a merged pull request.

The world is tests/pr_loop.py's: a real `aiops serve` with its loop thread; the fake GitHub,
GitLab and Jira over HTTP on 127.0.0.1; a bare git remote the member's account pushes to;
real tmux on a private socket with the agent (tests/fakes/agents/pr_agent, launched as
`codex`) as a throwaway Linux account; auto_pull_request and auto_review_to_agent on.

The story each test tells: "Work on it" (POST /api/v1/issues/{id}/work) -> the agent commits
and reports finished -> the pull request is opened on the code host (head `aiops/<issue
slug>`, base main, a body that links the issue, lists the commit and names the user) -> the
issue gets one comment with its link -> a "changes requested" review with an unresolved
comment arrives by signed webhook -> the agent's pane shows the prompt and the comment byte
for byte -> its next commit reaches the remote -> the code host merges it (webhook) -> aiops
shows it merged, and the issue got its "merged" comment, once. The writes on the fakes are
counted: one pull request, two comments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.accounts import needs_root, throwaway_account
from tests.integration.conftest import empty_database
from tests.pr_loop import (
    EMAIL,
    NAME,
    REVIEW_BODY,
    REVIEW_LINE,
    REVIEW_PATH,
    REVIEWER,
    TITLE,
    World,
    pr_loop_world,
    tmux_tmpdir,
    until,
)

pytestmark = [needs_root, pytest.mark.slow, pytest.mark.serial]


@pytest.fixture
def world_for(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., World]]:
    """`world_for("github" | "gitlab" | "jira", backend="sqlite" | "postgres")`: the world,
    torn down after the test."""
    with ExitStack() as stack:

        def make(kind: str, backend: str = "sqlite") -> World:
            database = None
            if backend == "postgres":
                database = empty_database("postgres", request, tmp_path)
            account = stack.enter_context(throwaway_account("aiops-pr"))
            tmpdir = stack.enter_context(tmux_tmpdir())
            return stack.enter_context(
                pr_loop_world(
                    kind,
                    account=account,
                    tmux_tmpdir=tmpdir,
                    database_url=database,
                    AIOPS_PR_LOOP_POLL_SECONDS="1",
                )
            )

        yield make


def screen_with(world: World, target: str, text: str, count: int = 1) -> str:
    def shown() -> str | None:
        screen = world.pane(target)
        return screen if screen.count(text) >= count else None

    try:
        found: str = until(f"{text!r} in the pane", shown)
    except AssertionError:
        raise AssertionError(
            f"{text!r} never showed:\n{world.pane(target)}\n--- server log:\n{world.log()}"
        ) from None
    return found


def eventually(world: World, what: str, check: Callable[[], Any]) -> Any:
    try:
        return until(what, check)
    except AssertionError as error:
        raise AssertionError(f"{error}\n--- server log:\n{world.log()}") from None


def story(world: World, number: str, branch: str, links_issue: str) -> None:
    """The loop for issue `number`, from "Work on it" to merged; `links_issue` is what the
    pull request's body must hold to link the issue."""
    issue = world.issue(number)

    # Work on it: the agent starts in the issue's worktree, commits and reports finished.
    work, target = world.work(issue["id"])
    assert work["created"] is True
    assert work["worktree"]["branch"] == branch
    assert work["issue"]["triage"]["status"] == "in_progress"
    screen = screen_with(world, target, "fired agent-turn-complete")
    assert "notify rc=0 err=''" in screen
    (first,) = world.commits_in(target)

    # The pull request, opened on the code host from the pushed branch.
    (pull,) = eventually(world, "the pull request on the code host", world.host.pulls)
    assert (pull["head"], pull["base"], pull["state"]) == (branch, "main", "open")
    assert TITLE in pull["title"]
    assert links_issue in pull["body"]
    assert "change 1" in pull["body"] or first[:7] in pull["body"]  # the commit, listed
    assert NAME in pull["body"] or EMAIL in pull["body"]
    assert world.remote_head(branch) == first
    assert "AGENTS.override.md" not in world.remote_files(branch)  # kept out of git

    # The issue's comment with the link, once; the record in aiops.
    (opened,) = eventually(world, "the issue's comment", lambda: world.comments(number))
    assert pull["url"] in opened
    (record,) = eventually(world, "the PR in aiops", lambda: world.pull_requests(issue["id"]))
    assert (record["number"], record["url"], record["head"], record["base"]) == (
        pull["number"], pull["url"], branch, "main"
    )  # fmt: skip

    # Changes requested, by webhook: the prompt reaches the pane with the comment verbatim.
    world.webhook(*world.host.review(pull["number"]))
    screen = screen_with(world, target, "--- end review ---")
    prompt = f"prompt: Review of {pull['url']}: 1 comment(s) and 0 failing check(s) to address"
    assert prompt in screen, screen
    review = screen.split("--- review ---")[-1].split("--- end review ---")[0]
    assert REVIEW_BODY in review, review
    assert REVIEW_PATH in review, review
    assert REVIEWER in review, review
    second = eventually(world, "the second commit", lambda: world.commits_in(target)[1:])[0]
    eventually(world, "the second commit pushed", lambda: world.remote_head(branch) == second)
    (shown,) = world.pull_requests(issue["id"])
    assert shown["review"] == "changes_requested"
    unresolved = [
        {k: c[k] for k in ("path", "line", "author", "body")} for c in shown["unresolved_comments"]
    ]
    wanted = {"path": REVIEW_PATH, "line": REVIEW_LINE, "author": REVIEWER, "body": REVIEW_BODY}
    assert wanted in unresolved

    # Merged on the code host (webhook): aiops shows it, and the issue hears of it, once.
    world.webhook(*world.host.merge(pull["number"]))
    eventually(
        world, "merged in aiops", lambda: world.pull_requests(issue["id"])[0]["state"] == "merged"
    )
    comments = eventually(world, "the merged comment", lambda: world.comments(number)[1:])
    time.sleep(2.5)  # two more of the loop's polls: nothing more may be written
    opened_again, merged = world.comments(number)
    assert opened_again == opened
    assert merged == comments[0]
    assert "merged" in merged.lower()
    assert pull["url"] in merged
    assert world.host.opened_pulls() == 1
    assert world.tracker.posted_comments() == 2
    assert len(world.host.pulls()) == 1


def test_a_github_issue_goes_from_work_to_a_merged_pull_request(
    world_for: Callable[..., World],
) -> None:
    world = world_for("github")

    story(world, "#1", "aiops/gh-1-fix-login", "Closes #1")


def test_a_gitlab_issue_goes_from_work_to_a_merged_merge_request(
    world_for: Callable[..., World],
) -> None:
    world = world_for("gitlab")

    story(world, "#1", "aiops/gl-1-fix-login", "Closes #1")


def test_a_jira_issue_gets_its_pull_request_on_github_and_its_comments_on_jira(
    world_for: Callable[..., World],
) -> None:
    world = world_for("jira")

    story(world, "OPS-1", "aiops/ops-1-fix-login", "/browse/OPS-1")
    assert world.host.posted_comments() == 0  # the comments went to Jira, none to GitHub


@pytest.mark.postgres
def test_the_github_loop_runs_the_same_on_postgresql(world_for: Callable[..., World]) -> None:
    world = world_for("github", backend="postgres")

    story(world, "#1", "aiops/gh-1-fix-login", "Closes #1")


def test_lost_answers_from_github_leave_one_pull_request_and_one_comment(
    world_for: Callable[..., World],
) -> None:
    """The pull request's POST and the comment's POST take effect on GitHub but their answers
    are lost (502): the steps are retried after their backoff, find what they made (by head
    branch, by the comment's marker) and write nothing twice."""
    world = world_for("github")
    world.host.fake.lose_answers = 2

    story(world, "#1", "aiops/gh-1-fix-login", "Closes #1")

    assert world.host.fake.lose_answers == 0  # both answers were lost
    lost = [w for w in world.host.fake.writes() if w.method == "POST"][:2]
    assert [w.path for w in lost] == ["/repos/acme/web/pulls", "/repos/acme/web/issues/1/comments"]
