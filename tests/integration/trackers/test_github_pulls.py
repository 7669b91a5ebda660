"""GitHubTracker as a CodeHost, over real HTTP against the fake GitHub: open, find and read pull
requests; a retried open finds the first; a write is sent once; refusals name what is missing."""

from __future__ import annotations

from datetime import datetime

import pytest

from aiops.adapters.trackers import GitHubTracker
from aiops.adapters.trackers.github import graphql_url
from aiops.domain.model.pull_requests import ChecksState, PullState, ReviewComment, ReviewState
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerRateLimited,
)
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub

BRANCH = "aiops/gh-12-fix-login"


def open_one(tracker: GitHubTracker, target: TrackerTarget, *, draft: bool = False) -> int:
    pull = tracker.open_pull(
        target, head=BRANCH, base="main", title="Fix login", body="Closes #12", draft=draft
    )
    return pull.number


def test_open_pull_posts_once_and_answers_the_new_pull_request(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")  # #1: pull requests take the next issue number

    pull = tracker.open_pull(
        target, head=BRANCH, base="main", title="Fix login", body="Closes #1\n\n- abc fix"
    )

    assert (pull.number, pull.head, pull.base, pull.title) == (2, BRANCH, "main", "Fix login")
    assert pull.state is PullState.OPEN
    assert pull.url == "https://github.example/acme/web/pull/2"
    assert pull.head_sha == github.pull("acme/web", 2)["head"]["sha"]  # type: ignore[index]
    [write] = github.writes()
    assert (write.method, write.path) == ("POST", "/repos/acme/web/pulls")
    assert write.body == {
        "title": "Fix login",
        "head": BRANCH,
        "base": "main",
        "body": "Closes #1\n\n- abc fix",
        "draft": False,
    }
    assert write.headers["x-github-api-version"] == "2022-11-28"


def test_a_draft_is_opened_as_a_draft(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    number = open_one(tracker, target, draft=True)

    assert github.writes()[0].body["draft"] is True  # type: ignore[index]
    assert tracker.pull(target, number).state is PullState.DRAFT


def test_find_pull_gives_the_newest_from_the_branch_in_any_state(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    assert tracker.find_pull(target, head=BRANCH) is None
    first = open_one(tracker, target)
    github.close("acme/web", first)
    second = open_one(tracker, target)
    github.open_pull("acme/web", head="aiops/other")

    found = tracker.find_pull(target, head=BRANCH)

    assert found is not None
    assert (found.number, found.state) == (second, PullState.OPEN)
    github.merge("acme/web", second)
    merged = tracker.find_pull(target, head=BRANCH)
    assert merged is not None
    assert merged.state is PullState.MERGED
    query = github.requests[-1].query
    assert query["head"] == f"acme:{BRANCH}"
    assert (query["state"], query["sort"], query["direction"]) == ("all", "created", "desc")


def test_opening_again_finds_the_open_one_instead_of_a_second(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    first = open_one(tracker, target)

    again = open_one(tracker, target)

    assert again == first
    assert len(github.pulls["acme/web"]) == 1


def test_a_lost_answer_is_an_error_and_the_retry_finds_what_the_first_try_made(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.lose_answers = 1

    with pytest.raises(TrackerError, match=r"failed \(502\); not retried"):
        open_one(tracker, target)

    assert len(github.writes()) == 1  # not retried by the adapter
    found = tracker.find_pull(target, head=BRANCH)
    assert found is not None
    assert open_one(tracker, target) == found.number
    assert len(github.pulls["acme/web"]) == 1


@pytest.mark.parametrize("status", [500, 502])
def test_a_server_error_on_a_write_is_not_retried(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget, status: int
) -> None:
    github.fail_writes = [status]

    with pytest.raises(TrackerError, match=rf"^127\.0\.0\.1: the server failed \({status}\)"):
        open_one(tracker, target)

    assert len(github.writes()) == 1
    assert "acme/web" not in github.pulls


def test_a_write_refused_for_want_of_scope_names_the_scope(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.fail_writes = [403]

    with pytest.raises(TrackerAuthFailed, match=r"it needs `pull_requests: write`"):
        open_one(tracker, target)


def test_a_rate_limited_write_says_when_to_resume(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.fail_writes = [429]

    with pytest.raises(TrackerRateLimited) as raised:
        open_one(tracker, target)

    assert isinstance(raised.value.resume_at, datetime)
    assert len(github.writes()) == 1


def test_a_redirected_write_is_refused_not_followed(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.redirect["/repos/acme/web/pulls"] = "/repos/acme/other/pulls"

    with pytest.raises(TrackerError, match=r"answered a write with a redirect \(302\); refused"):
        open_one(tracker, target)

    assert [r.path for r in github.requests] == ["/repos/acme/web/pulls"]


def test_other_refusals_say_githubs_reason(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    with pytest.raises(TrackerError, match=r"\(422\): Validation Failed: No commits between"):
        tracker.open_pull(target, head="main", base="main", title="t", body="")
    with pytest.raises(TrackerError, match="is not a branch name"):
        tracker.open_pull(target, head="x y", base="main", title="t", body="")
    assert [w.body["head"] for w in github.writes()] == ["main"]  # type: ignore[index]


def test_pull_reads_state_reviews_checks_and_unresolved_threads(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    number = open_one(tracker, target)
    sha = str(github.pull("acme/web", number)["head"]["sha"])  # type: ignore[index]
    github.add_review("acme/web", number, user="bob", state="APPROVED")
    github.add_review("acme/web", number, user="carol", state="CHANGES_REQUESTED", body="no")
    github.add_check_run(sha, "lint")
    github.add_check_run(sha, "unit", conclusion="failure")
    github.add_check_run(sha, "e2e", conclusion="timed_out")
    github.add_thread(
        "acme/web", number, path="src/login.py", line=42, body="Use `hmac`.\nNot ==", author="carol"
    )
    resolved = github.add_thread("acme/web", number, path="a.py", line=1, body="ok", author="bob")
    resolved["isResolved"] = True
    github.add_thread("acme/web", number, path="b.py", line=None, body="whole file", author="bob")

    pull = tracker.pull(target, number)

    assert pull.review is ReviewState.CHANGES_REQUESTED
    assert pull.checks is ChecksState.FAILING
    assert pull.failing_checks == ("unit", "e2e")
    assert pull.checks_summary == "1 passing, 2 failing"
    assert [(c.path, c.line, c.author, c.body) for c in pull.unresolved] == [
        ("src/login.py", 42, "carol", "Use `hmac`.\nNot =="),
        ("b.py", None, "bob", "whole file"),
    ]
    assert all(isinstance(c, ReviewComment) and c.id for c in pull.unresolved)
    paths = [r.path for r in github.requests[-4:]]
    assert paths == [
        f"/repos/acme/web/pulls/{number}",
        f"/repos/acme/web/pulls/{number}/reviews",
        f"/repos/acme/web/commits/{sha}/check-runs",
        "/graphql",
    ]


@pytest.mark.parametrize(
    ("reviews", "expected"),
    [
        ([], ReviewState.NONE),
        ([("bob", "COMMENTED")], ReviewState.COMMENTED),
        ([("bob", "APPROVED"), ("carol", "COMMENTED")], ReviewState.APPROVED),
        ([("bob", "CHANGES_REQUESTED"), ("bob", "APPROVED")], ReviewState.APPROVED),
        ([("bob", "APPROVED"), ("bob", "CHANGES_REQUESTED")], ReviewState.CHANGES_REQUESTED),
        ([("bob", "CHANGES_REQUESTED"), ("bob", "DISMISSED")], ReviewState.NONE),
    ],
)
def test_the_review_state_is_each_reviewers_latest_verdict(
    github: FakeGitHub,
    tracker: GitHubTracker,
    target: TrackerTarget,
    reviews: list[tuple[str, str]],
    expected: ReviewState,
) -> None:
    number = open_one(tracker, target)
    for user, state in reviews:
        github.add_review("acme/web", number, user=user, state=state)

    assert tracker.pull(target, number).review is expected


def test_checks_pending_passing_and_none(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    number = open_one(tracker, target)
    sha = str(github.pull("acme/web", number)["head"]["sha"])  # type: ignore[index]
    assert (tracker.pull(target, number).checks, tracker.pull(target, number).checks_summary) == (
        ChecksState.NONE,
        "",
    )
    github.add_check_run(sha, "lint")
    assert tracker.pull(target, number).checks is ChecksState.PASSING
    github.add_check_run(sha, "unit", status="in_progress")
    pending = tracker.pull(target, number)
    assert (pending.checks, pending.checks_summary) == (ChecksState.PENDING, "1 passing, 1 pending")


def test_a_merged_pull_request_reads_merged(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    number = open_one(tracker, target)
    github.merge("acme/web", number)
    assert tracker.pull(target, number).state is PullState.MERGED
    other = open_one(tracker, target)
    github.close("acme/web", other)
    assert tracker.pull(target, other).state is PullState.CLOSED


def test_an_unknown_pull_request_is_not_found(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    with pytest.raises(TrackerNotFound, match=r"^pull request #9 not found in acme/web$"):
        tracker.pull(target, 9)


def test_the_graphql_endpoint_of_github_and_of_an_enterprise_server() -> None:
    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example/api/v3/") == "https://ghe.example/api/graphql"


def test_the_token_never_shows_in_a_write_error(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    messages = []
    for status in (500, 403, 429):
        github.fail_writes = [status]
        with pytest.raises(TrackerError) as raised:
            open_one(tracker, target)
        messages.append(str(raised.value))
    assert all(TOKEN not in m for m in messages)
    assert all(TOKEN not in str(r) for r in github.requests)


def test_already_exists_gives_the_open_one_even_when_a_newer_one_is_closed(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    older = open_one(tracker, target)
    github.close("acme/web", older)
    newer = open_one(tracker, target)
    github.close("acme/web", newer)
    github.pull("acme/web", older)["state"] = "open"  # reopened

    assert open_one(tracker, target) == older
    latest = tracker.find_pull(target, head=BRANCH)
    assert latest is not None
    assert latest.number == newer


def test_the_fakes_webhook_payloads_carry_the_pull_request_as_the_api_shows_it(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    number = open_one(tracker, target)
    review = github.add_review("acme/web", number, user="carol", state="CHANGES_REQUESTED")

    payload = github.review_payload("acme/web", number, review)

    assert payload["action"] == "submitted"
    assert payload["review"]["state"] == "changes_requested"  # type: ignore[index]
    assert payload["pull_request"] == github.pull("acme/web", number)
    assert payload["repository"]["full_name"] == "acme/web"  # type: ignore[index]
