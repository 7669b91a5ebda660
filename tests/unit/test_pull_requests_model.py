"""The loop's pure decisions (model/pull_requests.py): which connection is the code host, the
pull request's title and body, the comments, the review text and prompt, what the sync asks
for, and what one try leaves of a step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.model.pull_requests import (
    MAX_ATTEMPTS,
    TITLE_MAX,
    CommentEvent,
    LoopStep,
    NoCodeHost,
    PullRequest,
    PullState,
    RemotePull,
    ReviewComment,
    ReviewState,
    StepKind,
    StepState,
    code_host_for,
    comment_body,
    comment_key,
    found_again,
    marker,
    open_key,
    pr_body,
    pr_title,
    rearmed,
    review_key,
    review_prompt,
    review_text,
    step_after,
    step_backoff,
    step_trouble,
    sync_effects,
)
from aiops.domain.model.trackers import Issue, Provider, TrackerConnection
from tests.integration.test_tracker_repositories import remote

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def connection(provider: Provider, key: str, id: int) -> TrackerConnection:
    return TrackerConnection(project_id=1, provider=provider, base_url="https://x", key=key,
                             token_sealed="s", id=id)  # fmt: skip


def issue(connection_id: int = 1, provider: Provider = Provider.GITHUB, **fields: object) -> Issue:
    return Issue(connection_id=connection_id, project_id=1, provider=provider,
                 remote=remote(12, **fields), id=5)  # fmt: skip


def pull(**fields: object) -> PullRequest:
    values: dict[str, object] = {
        "project_id": 1, "connection_id": 1, "provider": Provider.GITHUB, "issue_id": 5, "user_id": 3,
        "number": 4, "url": "https://github.com/acme/web/pull/4", "head": "aiops/gh-12-x", "base": "main",
        "title": "X (#12)", "state": PullState.OPEN, "created_at": T0, "updated_at": T0, "id": 9,
    }  # fmt: skip
    return PullRequest(**(values | fields))  # type: ignore[arg-type]


def step(**fields: object) -> LoopStep:
    values: dict[str, object] = {"kind": StepKind.COMMENT, "key": "comment:pr:9:opened",
                                     "next_attempt_at": T0, "created_at": T0}  # fmt: skip
    return LoopStep(**(values | fields))  # type: ignore[arg-type]


def test_keys_and_markers() -> None:
    assert open_key(12, 3) == "open:issue:12:user:3"
    assert comment_key(5, CommentEvent.MERGED) == "comment:pr:5:merged"
    assert review_key(5, 2) == "review:pr:5:2"
    assert marker("comment:pr:5:opened") == "<!-- aiops:comment:pr:5:opened -->"


def test_the_code_host_is_the_only_github_or_gitlab_connection() -> None:
    jira = connection(Provider.JIRA, "OPS", 1)
    gitlab = connection(Provider.GITLAB, "group/web", 2)

    assert code_host_for([jira, gitlab], None) == gitlab
    with pytest.raises(NoCodeHost, match="no GitHub or GitLab"):
        code_host_for([jira], "https://github.com/acme/web.git")


def test_with_several_code_hosts_the_repository_url_chooses() -> None:
    web = connection(Provider.GITHUB, "acme/web", 1)
    api = connection(Provider.GITHUB, "acme/web-api", 2)

    assert code_host_for([web, api], "git@github.com:acme/web-api.git") == api
    assert code_host_for([web, api], "https://github.com/Acme/Web.git") == web
    with pytest.raises(NoCodeHost, match="names none"):
        code_host_for([web, api], "https://example.com/other.git")


def test_the_title_is_the_issues_with_its_key_cut_to_fit() -> None:
    assert pr_title(issue(title="Fix  login\n")) == "Fix login (#12)"
    assert pr_title(issue(number="OPS-7", title="Slow")) == "Slow (OPS-7)"
    long = pr_title(issue(title="word " * 100))
    assert len(long) <= TITLE_MAX
    assert long.endswith("… (#12)")


def test_the_body_closes_an_issue_of_the_same_connection_and_lists_the_commits() -> None:
    host = connection(Provider.GITHUB, "acme/web", 1)
    commits = ["a" * 40 + " Fix login (#12)", "b" * 40 + " Add test"]

    body = pr_body(issue(), host, commits, user_email="ivo@example.com", tool="codex")

    assert body.splitlines() == [
        "Closes #12", "", "Commits:", "- aaaaaaa Fix login (#12)", "- bbbbbbb Add test", "",
        "Opened by aiops for ivo@example.com's codex agent.",
    ]  # fmt: skip


def test_the_body_links_an_issue_of_another_tracker_by_its_url() -> None:
    host = connection(Provider.GITHUB, "acme/web", 1)
    jira = issue(connection_id=2, provider=Provider.JIRA, number="OPS-7",
                 url="https://acme.atlassian.net/browse/OPS-7")  # fmt: skip

    body = pr_body(jira, host, [], user_email="ivo@example.com", tool=None)

    assert body.startswith("Issue: https://acme.atlassian.net/browse/OPS-7\n")
    assert "Closes" not in body
    assert body.endswith("\nOpened by aiops for ivo@example.com's agent.")


def test_comments_carry_the_link_and_the_hidden_marker() -> None:
    url = "https://github.com/acme/web/pull/4"
    key = "comment:pr:9:closed"

    assert comment_body(CommentEvent.OPENED, url, key).startswith(f"aiops opened {url}")
    assert comment_body(CommentEvent.MERGED, url, key).startswith(f"{url} was merged.")
    closed = comment_body(CommentEvent.CLOSED, url, key)
    assert closed.startswith(f"{url} was closed without merging.")
    assert closed.endswith("\n<!-- aiops:comment:pr:9:closed -->")


@given(st.text(min_size=1), st.text(min_size=1, alphabet=st.characters(categories=["L", "N"])))
def test_review_text_keeps_each_body_exactly(body: str, author: str) -> None:
    comment = ReviewComment(path="src/a.py", line=3, author=author, body=body)

    text = review_text(pull(unresolved=(comment,)))

    assert f"- src/a.py:3 — @{author}: {body}" in text


def test_review_text_and_prompt() -> None:
    p = pull(
        unresolved=(
            ReviewComment(path="src/a.py", line=3, author="rev", body="Rename\nthis."),
            ReviewComment(path="src/b.py", line=None, author="rev", body="Why?"),
            ReviewComment(path="", line=None, author="lead", body="Split it."),
        ),
        failing_checks=("lint", "tests"),
    )

    assert review_text(p).splitlines() == [
        "Pull request: https://github.com/acme/web/pull/4", "",
        "Unresolved review comments:", "- src/a.py:3 — @rev: Rename", "this.",
        "- src/b.py — @rev: Why?", "- (the whole change) — @lead: Split it.", "",
        "Failing checks:", "- lint", "- tests",
    ]  # fmt: skip
    prompt = review_prompt(p)
    assert "\n" not in prompt
    assert prompt == (
        "Review of https://github.com/acme/web/pull/4: 3 comment(s) and 2 failing check(s) to "
        'address, listed in AGENTS.override.md under "Review to address". Fix them and commit; '
        "aiops pushes."
    )


def test_sync_effects() -> None:
    note = ReviewComment(path="a", line=1, author="r", body="b", id="1")
    open_ = pull()
    asked = pull(review=ReviewState.CHANGES_REQUESTED, unresolved=(note,))

    assert sync_effects(open_, pull(state=PullState.MERGED)).comment is CommentEvent.MERGED
    assert sync_effects(open_, pull(state=PullState.CLOSED)).comment is CommentEvent.CLOSED
    assert sync_effects(pull(state=PullState.MERGED), pull(state=PullState.MERGED)).comment is None
    assert sync_effects(open_, asked).review
    assert not sync_effects(asked, asked).review  # nothing new
    more = attrs.evolve(asked, unresolved=(note, attrs.evolve(note, id="2")))
    assert sync_effects(asked, more).review
    assert not sync_effects(open_, pull(review=ReviewState.APPROVED)).review


def test_step_after_a_success_a_fault_and_a_refusal() -> None:
    now = T0 + timedelta(minutes=1)

    done = step_after(step(), None, now, result="42")
    assert (done.state, done.attempts, done.result, done.done_at) == (StepState.DONE, 1, "42", now)

    retried = step_after(step(), "  tracker\n down ", now)
    assert (retried.state, retried.last_error) == (StepState.PENDING, "tracker down")
    assert retried.next_attempt_at == now + step_backoff(1)

    refused = step_after(step(), "no scope", now, final=True)
    assert (refused.state, refused.done_at) == (StepState.FAILED, now)

    later = now + timedelta(hours=1)
    assert step_after(step(), "limited", now, resume_at=later).next_attempt_at == later


@given(st.integers(min_value=0, max_value=MAX_ATTEMPTS - 1))
def test_a_failing_step_is_retried_until_its_last_attempt(attempts: int) -> None:
    after = step_after(step(attempts=attempts), "down", T0)

    assert after.attempts == attempts + 1
    assert after.state is (
        StepState.FAILED if after.attempts >= MAX_ATTEMPTS else StepState.PENDING
    )
    assert after.next_attempt_at >= T0


def test_rearmed_runs_a_finished_step_again_and_keeps_a_pending_one() -> None:
    failed = step(state=StepState.FAILED, attempts=6, last_error="x", done_at=T0)
    later = T0 + timedelta(hours=1)

    again = rearmed(failed, later, actor="ivo@example.com")

    assert (again.state, again.attempts, again.last_error, again.done_at) == (
        StepState.PENDING, 0, None, None,
    )  # fmt: skip
    assert (again.next_attempt_at, again.actor) == (later, "ivo@example.com")
    pending = step()
    assert rearmed(pending, later, actor="x") is pending


def test_a_pull_request_found_again_keeps_its_review_checks_and_comments() -> None:
    note = ReviewComment(path="a", line=1, author="r", body="b", id="1")
    known = pull(review=ReviewState.CHANGES_REQUESTED, unresolved=(note,), failing_checks=("lint",),
                  head_sha="abc1")  # fmt: skip
    listed = RemotePull(number=4, url="https://github.com/acme/web/pull/4", head="aiops/gh-12-x",
                        base="main", title="New title", state=PullState.DRAFT, head_sha="def2")  # fmt: skip
    later = T0 + timedelta(hours=1)

    again = found_again(known, listed, later)

    assert (again.title, again.state, again.head_sha, again.updated_at) == (
        "New title", PullState.DRAFT, "def2", later,
    )  # fmt: skip
    assert (again.review, again.unresolved, again.failing_checks) == (
        ReviewState.CHANGES_REQUESTED, (note,), ("lint",),
    )  # fmt: skip
    assert found_again(known, attrs.evolve(listed, head_sha=""), later).head_sha == "abc1"


def test_the_trouble_an_issue_shows_is_its_newest_unsettled_error() -> None:
    failed = step(state=StepState.FAILED, last_error="no scope")
    retrying = step(kind=StepKind.OPEN_PULL_REQUEST, key="open:issue:5:user:3",
                    last_error="down")  # fmt: skip
    done = step(state=StepState.DONE)
    queued = step(key="comment:pr:9:merged")

    assert step_trouble([queued, retrying, failed]) == retrying
    assert step_trouble([done, failed]) is None  # done since
    assert step_trouble([done, retrying]) == retrying
    assert step_trouble([queued, done]) is None
    other = step(key="comment:pr:9:merged", state=StepState.DONE)
    assert step_trouble([other, failed]) == failed  # another comment's success
    review = step(kind=StepKind.REVIEW_TO_AGENT, key="review:pr:9:1", last_error="x")
    newer = step(kind=StepKind.REVIEW_TO_AGENT, key="review:pr:9:2", state=StepState.DONE)
    assert step_trouble([newer, review]) is None
