"""GitLabTracker as IssueComments over real HTTP: a note posted once, found again by marker."""

from __future__ import annotations

import pytest

from aiops.adapters.trackers import GitLabTracker
from aiops.domain.model.trackers import TrackerAuthFailed, TrackerError, TrackerNotFound
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_gitlab import FakeGitLab

PROJECT = "acme/platform/web"
BODY = "Merge request opened: https://gitlab.example/x/-/merge_requests/1\n\n<!-- aiops:comment:pr:2:opened -->"


def test_add_comment_posts_a_note_and_find_comment_finds_it(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.add_issue(PROJECT)
    for n in range(150):
        gitlab.add_note(PROJECT, 1, f"chatter {n}", author="alice")

    ident = gitlab_tracker.add_comment(gitlab_target, "#1", BODY)

    assert ident == str(gitlab.issue_notes(PROJECT, 1)[-1]["id"])
    [write] = gitlab.writes()
    assert (write.path, write.body) == (
        f"/api/v4/projects/{PROJECT}/issues/1/notes",
        {"body": BODY},
    )
    marker = "<!-- aiops:comment:pr:2:opened -->"
    assert gitlab_tracker.find_comment(gitlab_target, "#1", marker) == ident
    assert (
        gitlab_tracker.find_comment(gitlab_target, "#1", "<!-- aiops:comment:pr:2:merged -->")
        is None
    )
    assert [r.query.get("page", "1") for r in gitlab.requests if r.method == "GET"][-2:] == [
        "1",
        "2",
    ]


def test_a_note_refused_names_the_api_scope_and_a_failed_one_is_sent_once(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.add_issue(PROJECT)
    gitlab.fail_writes = [403, 502]

    with pytest.raises(TrackerAuthFailed, match=r"it needs the `api` scope"):
        gitlab_tracker.add_comment(gitlab_target, "#1", BODY)
    with pytest.raises(TrackerError, match=r"the server failed \(502\)"):
        gitlab_tracker.add_comment(gitlab_target, "#1", BODY)

    assert len(gitlab.writes()) == 2
    assert gitlab.issue_notes(PROJECT, 1) == []


def test_unknown_issues_and_bad_numbers(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    with pytest.raises(TrackerNotFound, match=rf"^issue #5 not found in {PROJECT}$"):
        gitlab_tracker.add_comment(gitlab_target, "#5", BODY)
    with pytest.raises(TrackerError, match="is not a GitLab issue number"):
        gitlab_tracker.find_comment(gitlab_target, "OPS-1", "<!-- aiops:x -->")
