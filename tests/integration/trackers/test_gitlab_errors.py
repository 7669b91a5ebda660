"""What goes wrong with a GitLab, said in Tracker* errors: the token, the project, the server,
a URL that is no GitLab, the payload, a pagination that never ends."""

from __future__ import annotations

import socket

import pytest

from aiops.adapters.trackers import GitLabTracker, RetryPolicy
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerUnreachable,
)
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_gitlab import FakeGitLab


def test_check_says_how_many_issues_are_open(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    for _ in range(12):
        gitlab.add_issue("acme/platform/web")

    assert gitlab_tracker.check(gitlab_target) == "acme/platform/web: 10 open issues"
    assert gitlab.raw_paths == ["/api/v4/projects/acme%2Fplatform%2Fweb"]


def test_check_says_when_the_project_has_issues_disabled(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.projects["acme/platform/web"].issues_enabled = False

    with pytest.raises(
        TrackerError, match=r"^acme/platform/web: issues are disabled for this project"
    ):
        gitlab_tracker.check(gitlab_target)


def test_a_refused_token_says_so(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    wrong = TrackerTarget(base_url=gitlab_target.base_url, key=gitlab_target.key, token="glpat-x")

    with pytest.raises(TrackerAuthFailed, match=r"^127\.0\.0\.1: the token was refused$"):
        gitlab_tracker.changed_since(wrong, None, None)
    with pytest.raises(TrackerAuthFailed, match=r"^127\.0\.0\.1: the token was refused$"):
        gitlab_tracker.check(wrong)


def test_an_unknown_project_is_not_found(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    other = TrackerTarget(
        base_url=gitlab_target.base_url, key="acme/api", token=gitlab_target.token
    )

    message = r"^project acme/api not found \(or the token cannot see it\)$"
    with pytest.raises(TrackerNotFound, match=message):
        gitlab_tracker.changed_since(other, None, None)
    with pytest.raises(TrackerNotFound, match=message):
        gitlab_tracker.check(other)


def test_a_transient_server_error_is_retried(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.add_issue("acme/platform/web")
    gitlab.fail_next = 1

    changes = gitlab_tracker.changed_since(gitlab_target, None, None)

    assert [i.number for i in changes.issues] == ["#1"]
    assert (changes.requests, len(gitlab.requests)) == (2, 2)


def test_a_server_that_keeps_failing_gives_up_after_three_attempts(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget
) -> None:
    gitlab.fail_next = 10

    with pytest.raises(TrackerError, match=r"^127\.0\.0\.1: the server failed \(500\) 3 times"):
        gitlab_tracker.changed_since(gitlab_target, None, None)
    assert len(gitlab.requests) == 3


def test_a_base_url_where_nothing_listens_is_unreachable_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        target = TrackerTarget(base_url=f"http://127.0.0.1:{port}", key="acme/web", token="t")
        policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
        with (
            GitLabTracker(allow_private_networks=True, retry=policy) as tracker,
            pytest.raises(TrackerUnreachable, match=r"^127\.0\.0\.1: cannot connect"),
        ):
            tracker.changed_since(target, None, None)


def test_a_slow_gitlab_times_out_as_unreachable(
    gitlab: FakeGitLab, gitlab_target: TrackerTarget
) -> None:
    gitlab.delay = 0.5
    policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
    with (
        GitLabTracker(allow_private_networks=True, timeout=0.1, retry=policy) as tracker,
        pytest.raises(TrackerUnreachable, match=r"no answer within 0\.1s \(2 attempts\)"),
    ):
        tracker.changed_since(gitlab_target, None, None)
    assert len(gitlab.requests) == 2


def test_a_loopback_gitlab_is_refused_unless_private_networks_are_allowed(
    gitlab: FakeGitLab, gitlab_target: TrackerTarget
) -> None:
    with (
        GitLabTracker(retry=FAST_RETRY) as tracker,
        pytest.raises(TrackerError, match="private networks are not allowed"),
    ):
        tracker.check(gitlab_target)
    assert gitlab.requests == []


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (b"<!DOCTYPE html><html>Sign in</html>", "text/html", "answered an HTML page, not GitLab"),
        (b"<html>proxy</html>", "application/json", "answered an HTML page, not GitLab"),
        (b'[{"id": 1', "application/json", "the answer is not valid JSON"),
        (b'{"message": "moved"}', "application/json", "GitLab sent dict where a list of issues"),
        (b"[3]", "application/json", "GitLab sent int where an issue belongs"),
        (b'[{"id": 1}]', "application/json", "GitLab sent an issue whose 'state' is not a str"),
    ],
)
def test_an_answer_that_is_not_gitlabs_issue_list_is_a_clear_tracker_error(
    gitlab: FakeGitLab,
    gitlab_tracker: GitLabTracker,
    gitlab_target: TrackerTarget,
    body: bytes,
    kind: str,
    message: str,
) -> None:
    gitlab.garbage = (body, kind)

    with pytest.raises(TrackerError, match=message):
        gitlab_tracker.changed_since(gitlab_target, None, None)


@pytest.mark.parametrize(
    ("body", "kind", "message"),
    [
        (b"<html><body>Welcome to nginx!</body></html>", "text/html", "answered an HTML page"),
        (b'{"name": "web"}', "application/json", "the answer is not a GitLab project"),
        (b"[]", "application/json", "the answer is not a GitLab project"),
        (b"{", "application/json", "the answer is not valid JSON"),
    ],
)
def test_check_says_when_the_base_url_is_not_a_gitlab(
    gitlab: FakeGitLab,
    gitlab_tracker: GitLabTracker,
    gitlab_target: TrackerTarget,
    body: bytes,
    kind: str,
    message: str,
) -> None:
    gitlab.garbage = (body, kind)

    with pytest.raises(TrackerError, match=r"^127\.0\.0\.1: " + message):
        gitlab_tracker.check(gitlab_target)


@pytest.mark.parametrize("keyset", [True, False])
def test_a_next_page_that_repeats_is_stopped(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget, keyset: bool
) -> None:
    gitlab.add_issue("acme/platform/web")
    gitlab.keyset = keyset
    gitlab.endless = "repeat"

    with pytest.raises(TrackerError, match=r"^127\.0\.0\.1: pagination loops"):
        gitlab_tracker.changed_since(gitlab_target, None, None)
    assert len(gitlab.requests) == 2


@pytest.mark.parametrize("keyset", [True, False])
def test_a_pagination_that_never_ends_is_stopped_at_the_page_limit(
    gitlab: FakeGitLab, gitlab_target: TrackerTarget, keyset: bool
) -> None:
    gitlab.keyset = keyset
    gitlab.endless = "grow"

    with (
        GitLabTracker(allow_private_networks=True, retry=FAST_RETRY, max_pages=5) as tracker,
        pytest.raises(TrackerError, match="more than 5 pages; stopped"),
    ):
        tracker.changed_since(gitlab_target, None, None)
    assert len(gitlab.requests) == 5


@pytest.mark.parametrize(
    "key", ["acme", "acme/../admin", "acme/web?x=1", "acme/web#x", "/web", "acme/", "a b/c", ""]
)
def test_a_key_that_is_no_project_id_or_path_is_refused_before_any_request(
    gitlab: FakeGitLab, gitlab_tracker: GitLabTracker, gitlab_target: TrackerTarget, key: str
) -> None:
    bad = TrackerTarget(base_url=gitlab_target.base_url, key=key, token=gitlab_target.token)

    with pytest.raises(TrackerError, match="is not a GitLab project"):
        gitlab_tracker.changed_since(bad, None, None)
    assert gitlab.requests == []


@pytest.mark.parametrize("base_url", ["ftp://example.com", "https://", "https://h/gl?x=1"])
def test_a_base_url_that_is_not_http_is_refused(
    gitlab_tracker: GitLabTracker, base_url: str
) -> None:
    with pytest.raises(TrackerError, match="is not a GitLab URL"):
        gitlab_tracker.check(TrackerTarget(base_url=base_url, key="acme/web", token="t"))
