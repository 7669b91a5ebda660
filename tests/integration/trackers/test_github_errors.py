"""What goes wrong, said in Tracker* errors: the token, the repository, the server, the payload."""

from __future__ import annotations

import socket

import pytest

from aiops.adapters.trackers import GitHubTracker, RetryPolicy
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerUnreachable,
)
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import FakeGitHub


def test_check_says_how_many_issues_are_open(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    for _ in range(12):
        github.add_issue("acme/web")

    assert tracker.check(target) == "acme/web: 10 open issues"
    assert github.requests[-1].path == "/repos/acme/web"


def test_a_refused_token_says_so(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    wrong = TrackerTarget(base_url=target.base_url, key="acme/web", token="ghp_wrong")

    with pytest.raises(TrackerAuthFailed, match="the token was refused"):
        tracker.changed_since(wrong, None, None)
    with pytest.raises(TrackerAuthFailed, match=r"^127\.0\.0\.1: the token was refused$"):
        tracker.check(wrong)


def test_an_unknown_repository_is_not_found(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    other = TrackerTarget(base_url=target.base_url, key="acme/api", token=target.token)

    message = r"^repository acme/api not found \(or the token cannot see it\)$"
    with pytest.raises(TrackerNotFound, match=message):
        tracker.changed_since(other, None, None)
    with pytest.raises(TrackerNotFound, match=message):
        tracker.check(other)


def test_a_transient_server_error_is_retried(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    github.fail_next = 2

    changes = tracker.changed_since(target, None, None)

    assert [i.number for i in changes.issues] == ["#1"]
    assert changes.requests == 3
    assert len(github.requests) == 3


def test_a_server_that_keeps_failing_gives_up_after_three_attempts(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.fail_next = 10

    with pytest.raises(TrackerError, match=r"127\.0\.0\.1: the server failed \(500\) 3 times"):
        tracker.changed_since(target, None, None)
    assert len(github.requests) == 3


def test_a_host_that_does_not_listen_is_unreachable_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        target = TrackerTarget(base_url=f"http://127.0.0.1:{port}", key="acme/web", token="t")
        policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
        with (
            GitHubTracker(allow_private_networks=True, retry=policy) as tracker,
            pytest.raises(TrackerUnreachable, match=r"127\.0\.0\.1: cannot connect"),
        ):
            tracker.check(target)


def test_a_slow_server_times_out_as_unreachable(github: FakeGitHub, target: TrackerTarget) -> None:
    github.delay = 0.5
    policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
    with (
        GitHubTracker(allow_private_networks=True, timeout=0.1, retry=policy) as tracker,
        pytest.raises(TrackerUnreachable, match=r"no answer within 0\.1s \(2 attempts\)"),
    ):
        tracker.check(target)
    assert len(github.requests) == 2


@pytest.mark.parametrize(
    "key",
    [
        "acme",
        "acme/web/extra",
        "acme/../admin",
        "acme/..",
        "acme/.",
        "-acme/web",
        "ac me/web",
        "acme/we%2fb",
        "/web",
        "acme/",
        "a" * 40 + "/web",
        "acme/web?x=1",
        "acme/web#x",
    ],
)
def test_a_key_that_is_not_owner_slash_repo_is_refused_before_any_request(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget, key: str
) -> None:
    bad = TrackerTarget(base_url=target.base_url, key=key, token=target.token)

    with pytest.raises(TrackerError, match="is not a GitHub repository"):
        tracker.changed_since(bad, None, None)
    assert github.requests == []


@pytest.mark.parametrize("base_url", ["ftp://example.com", "https://", "https://h/api?x=1"])
def test_a_base_url_that_is_not_an_http_api_is_refused(
    tracker: GitHubTracker, base_url: str
) -> None:
    with pytest.raises(TrackerError, match="is not a GitHub API URL"):
        tracker.check(TrackerTarget(base_url=base_url, key="acme/web", token="t"))


@pytest.mark.parametrize(
    ("garbage", "message"),
    [
        (b"{not json", "the answer is not valid JSON"),
        (b'{"message": "moved"}', "GitHub sent dict where a list of issues belongs"),
        (b'[{"id": 1}]', "GitHub sent an issue whose 'state' is not a str"),
    ],
)
def test_a_malformed_answer_is_a_clear_tracker_error(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget, garbage: bytes, message: str
) -> None:
    github.garbage = garbage

    with pytest.raises(TrackerError, match=message):
        tracker.changed_since(target, None, None)
