"""GitHubTracker as IssueComments over real HTTP: a comment is posted once and found again by
its hidden marker, the key matched whole."""

from __future__ import annotations

import pytest

from aiops.adapters.trackers import GitHubTracker
from aiops.domain.model.trackers import TrackerAuthFailed, TrackerError, TrackerNotFound
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import FakeGitHub

BODY = "Pull request opened: https://github.example/acme/web/pull/2\n\n<!-- aiops:comment:pr:5:opened -->"


def test_add_comment_posts_the_body_and_find_comment_finds_it_by_marker(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    github.add_comment("acme/web", 1, "a person's comment")

    ident = tracker.add_comment(target, "#1", BODY)

    [stored] = [c for c in github.issue_comments("acme/web", 1) if c["body"] == BODY]
    assert ident == str(stored["id"])
    [write] = github.writes()
    assert (write.path, write.body) == ("/repos/acme/web/issues/1/comments", {"body": BODY})
    assert tracker.find_comment(target, "#1", "<!-- aiops:comment:pr:5:opened -->") == ident
    assert tracker.find_comment(target, "#1", "<!-- aiops:comment:pr:5:merged -->") is None


def test_a_marker_is_matched_whole(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    tracker.add_comment(target, "#1", "review\n<!-- aiops:review:pr:5:12 -->")

    assert tracker.find_comment(target, "#1", "<!-- aiops:review:pr:5:1 -->") is None
    assert tracker.find_comment(target, "#1", "<!-- aiops:review:pr:5:12 -->") is not None


def test_find_comment_reads_every_page(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    for n in range(205):
        github.add_comment("acme/web", 1, f"chatter {n}")
    last = github.add_comment("acme/web", 1, "done <!-- aiops:comment:pr:1:merged -->")

    assert tracker.find_comment(target, "#1", "<!-- aiops:comment:pr:1:merged -->") == str(
        last["id"]
    )
    assert [r.query.get("page", "1") for r in github.requests] == ["1", "2", "3"]


def test_a_comment_refused_for_want_of_scope_names_issues_write(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    github.fail_writes = [403]

    with pytest.raises(TrackerAuthFailed, match=r"it needs `issues: write` \(comments\)"):
        tracker.add_comment(target, "#1", BODY)


def test_a_failed_comment_is_sent_once(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    github.fail_writes = [500]

    with pytest.raises(TrackerError, match=r"the server failed \(500\)"):
        tracker.add_comment(target, "#1", BODY)

    assert len(github.writes()) == 1
    assert github.issue_comments("acme/web", 1) == []


def test_bad_issue_numbers_and_unknown_issues(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    with pytest.raises(TrackerError, match="is not a GitHub issue number"):
        tracker.add_comment(target, "#1/../x", BODY)
    with pytest.raises(TrackerNotFound, match=r"^issue #7 not found in acme/web$"):
        tracker.find_comment(target, "#7", "<!-- aiops:x -->")
    assert github.requests[-1].path == "/repos/acme/web/issues/7/comments"
