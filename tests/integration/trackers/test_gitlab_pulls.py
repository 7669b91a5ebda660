"""GitLabTracker as a CodeHost over real HTTP against the fake GitLab: open, find and read merge
requests (approvals, threads, pipelines); a retried open finds the first; a write is sent once;
refusals name the `api` scope."""

from __future__ import annotations

import pytest

from aiops.adapters.trackers import GitLabTracker
from aiops.domain.model.pull_requests import ChecksState, PullState, ReviewState
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerRateLimited,
)
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_gitlab import TOKEN, FakeGitLab

PROJECT = "acme/platform/web"
BRANCH = "aiops/gl-3-fix-login"


def open_one(tracker: GitLabTracker, target: TrackerTarget, *, draft: bool = False) -> int:
    pull = tracker.open_pull(
        target, head=BRANCH, base="main", title="Fix login", body="Closes #3", draft=draft
    )
    return pull.number


def test_open_pull_posts_a_merge_request_once(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    pull = gitlab_tracker.open_pull(
        gitlab_target, head=BRANCH, base="main", title="Fix login", body="Closes #3"
    )

    assert (pull.number, pull.head, pull.base, pull.title) == (1, BRANCH, "main", "Fix login")
    assert pull.state is PullState.OPEN
    assert pull.url == f"https://gitlab.example/{PROJECT}/-/merge_requests/1"
    [write] = gitlab.writes()
    assert write.path == f"/api/v4/projects/{PROJECT}/merge_requests"
    assert write.body == {
        "source_branch": BRANCH,
        "target_branch": "main",
        "title": "Fix login",
        "description": "Closes #3",
    }
    assert gitlab.raw_paths[-1] == "/api/v4/projects/acme%2Fplatform%2Fweb/merge_requests"


def test_a_draft_is_a_draft_title_and_reads_back_as_a_draft(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    number = open_one(gitlab_tracker, gitlab_target, draft=True)

    assert gitlab.writes()[0].body["title"] == "Draft: Fix login"  # type: ignore[index]
    pull = gitlab_tracker.pull(gitlab_target, number)
    assert (pull.state, pull.title) == (PullState.DRAFT, "Fix login")


def test_opening_again_finds_the_open_one(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    first = open_one(gitlab_tracker, gitlab_target)

    assert open_one(gitlab_tracker, gitlab_target) == first
    assert len(gitlab.projects[PROJECT].merge_requests) == 1


def test_find_pull_gives_the_newest_from_the_branch(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    assert gitlab_tracker.find_pull(gitlab_target, head=BRANCH) is None
    first = open_one(gitlab_tracker, gitlab_target)
    gitlab.close(PROJECT, first)
    second = open_one(gitlab_tracker, gitlab_target)
    gitlab.open_merge_request(PROJECT, source="aiops/other")

    found = gitlab_tracker.find_pull(gitlab_target, head=BRANCH)

    assert found is not None
    assert (found.number, found.state) == (second, PullState.OPEN)
    gitlab.merge(PROJECT, second)
    merged = gitlab_tracker.find_pull(gitlab_target, head=BRANCH)
    assert merged is not None
    assert merged.state is PullState.MERGED
    assert gitlab.requests[-1].query["source_branch"] == BRANCH


def test_a_lost_answer_is_an_error_and_the_retry_finds_the_merge_request(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.lose_answers = 1

    with pytest.raises(TrackerError, match=r"the server failed \(502\); not retried"):
        open_one(gitlab_tracker, gitlab_target)

    assert len(gitlab.writes()) == 1
    assert open_one(gitlab_tracker, gitlab_target) == 1
    assert len(gitlab.projects[PROJECT].merge_requests) == 1


def test_a_server_error_on_a_write_is_sent_once(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.fail_writes = [500]

    with pytest.raises(TrackerError, match=r"the server failed \(500\)"):
        open_one(gitlab_tracker, gitlab_target)

    assert len(gitlab.writes()) == 1
    assert gitlab.projects[PROJECT].merge_requests == []


def test_a_write_refused_names_the_api_scope(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.fail_writes = [403]

    with pytest.raises(TrackerAuthFailed, match=r"it needs the `api` scope"):
        open_one(gitlab_tracker, gitlab_target)


def test_a_rate_limited_write(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.fail_writes = [429]

    with pytest.raises(TrackerRateLimited):
        open_one(gitlab_tracker, gitlab_target)

    assert len(gitlab.writes()) == 1


def test_pull_reads_approvals_threads_and_a_failed_pipeline(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    number = open_one(gitlab_tracker, gitlab_target)
    gitlab.add_discussion(
        PROJECT, number, body="Use `hmac`.", author="carol", file="src/login.py", line=42
    )
    done = gitlab.add_discussion(PROJECT, number, body="typo", author="bob", file="a.py", line=1)
    gitlab.resolve(done)
    gitlab.add_discussion(PROJECT, number, body="general remark", author="bob")
    gitlab.add_discussion(PROJECT, number, body="added 1 commit", author="x", system=True)
    gitlab.set_pipeline(PROJECT, number, "failed", failed_jobs=("unit", "lint"))

    pull = gitlab_tracker.pull(gitlab_target, number)

    assert pull.review is ReviewState.CHANGES_REQUESTED
    assert [(c.path, c.line, c.author, c.body) for c in pull.unresolved] == [
        ("src/login.py", 42, "carol", "Use `hmac`."),
        ("", None, "bob", "general remark"),
    ]
    assert (pull.checks, pull.failing_checks) == (ChecksState.FAILING, ("unit", "lint"))
    assert pull.checks_summary == "pipeline failed: 2 failing"
    jobs = gitlab.requests[-1]
    assert jobs.path.endswith("/jobs")
    assert jobs.query["scope[]"] == "failed"


@pytest.mark.parametrize(
    ("status", "checks", "summary"),
    [
        ("success", ChecksState.PASSING, "pipeline passed"),
        ("running", ChecksState.PENDING, "pipeline running"),
        ("pending", ChecksState.PENDING, "pipeline pending"),
        ("canceled", ChecksState.FAILING, "pipeline canceled"),
        ("skipped", ChecksState.NONE, "pipeline skipped"),
    ],
)
def test_pipeline_states(
    gitlab: FakeGitLab,
    gitlab_tracker: GitLabTracker,
    gitlab_target: TrackerTarget,
    status: str,
    checks: ChecksState,
    summary: str,
) -> None:
    number = open_one(gitlab_tracker, gitlab_target)
    assert gitlab_tracker.pull(gitlab_target, number).checks is ChecksState.NONE
    gitlab.set_pipeline(PROJECT, number, status)

    pull = gitlab_tracker.pull(gitlab_target, number)

    assert (pull.checks, pull.checks_summary) == (checks, summary)
    assert not any(r.path.endswith("/jobs") for r in gitlab.requests)


def test_approved_wins_and_no_threads_is_no_review(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    number = open_one(gitlab_tracker, gitlab_target)
    assert gitlab_tracker.pull(gitlab_target, number).review is ReviewState.NONE
    gitlab.add_discussion(PROJECT, number, body="nice", author="bob", resolvable=False)
    assert gitlab_tracker.pull(gitlab_target, number).review is ReviewState.COMMENTED
    gitlab.add_discussion(PROJECT, number, body="fix", author="bob", file="a.py", line=3)
    gitlab.approve(PROJECT, number, "carol")

    pull = gitlab_tracker.pull(gitlab_target, number)

    assert pull.review is ReviewState.APPROVED
    assert [c.body for c in pull.unresolved] == ["fix"]


def test_merged_and_closed(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    number = open_one(gitlab_tracker, gitlab_target)
    gitlab.merge(PROJECT, number)
    assert gitlab_tracker.pull(gitlab_target, number).state is PullState.MERGED
    other = open_one(gitlab_tracker, gitlab_target)
    gitlab.close(PROJECT, other)
    assert gitlab_tracker.pull(gitlab_target, other).state is PullState.CLOSED


def test_an_unknown_merge_request_is_not_found_and_tokens_stay_out(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    with pytest.raises(TrackerNotFound, match=rf"^merge request !4 not found in {PROJECT}$"):
        gitlab_tracker.pull(gitlab_target, 4)
    gitlab.fail_writes = [403]
    with pytest.raises(TrackerAuthFailed) as raised:
        open_one(gitlab_tracker, gitlab_target)
    assert TOKEN not in str(raised.value)
    assert all(TOKEN not in str(r) for r in gitlab.requests)


def test_already_exists_gives_the_open_merge_request(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    older = open_one(gitlab_tracker, gitlab_target)
    gitlab.close(PROJECT, older)
    newer = open_one(gitlab_tracker, gitlab_target)
    gitlab.close(PROJECT, newer)
    gitlab.projects[PROJECT].merge_request(older)["state"] = "opened"  # reopened

    assert open_one(gitlab_tracker, gitlab_target) == older
    payload = gitlab.webhook_payload(PROJECT, older, "reopen")
    assert payload["object_attributes"]["iid"] == older  # type: ignore[index]
