"""What every tracker write shares, over real HTTP: a POST that could not connect is retried
(nothing was sent), one that timed out is not and says it may have taken effect; and the fakes'
webhook helpers sign deliveries as GitHub and GitLab do."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aiops.adapters.trackers import GitHubTracker, RetryPolicy
from aiops.domain.model.trackers import TrackerUnreachable
from aiops.domain.model.webhooks import github_signature_valid, gitlab_token_valid
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub
from tests.integration.trackers.fake_server import (
    deliver_gitlab_webhook,
    deliver_webhook,
    serve_app,
)

FAST = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02, wait_jitter=0.01)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_write_that_cannot_connect_is_retried_then_unreachable() -> None:
    target = TrackerTarget(
        base_url=f"http://127.0.0.1:{closed_port()}", key="acme/web", token=TOKEN
    )
    tracker = GitHubTracker(allow_private_networks=True, timeout=1.0, retry=FAST)
    with tracker, pytest.raises(TrackerUnreachable, match=r"cannot connect \(ConnectError, 3 "):
        tracker.add_comment(target, "#1", "hello")


def test_a_write_that_times_out_is_not_retried_and_may_have_taken_effect(
    github: FakeGitHub, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    github.delay = 0.6

    tracker = GitHubTracker(allow_private_networks=True, timeout=0.2, retry=FAST)
    with tracker, pytest.raises(TrackerUnreachable, match="the write may have taken effect"):
        tracker.add_comment(target, "#1", "hello")

    assert len(github.writes()) == 1


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return JSONResponse({"ok": True}, 202)

    app = Starlette(routes=[Route("/hooks/{provider}", hook, methods=["POST"])])
    with serve_app(app, name="webhook receiver") as url:
        yield url, received


def test_deliver_webhook_signs_as_github_does(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver
    payload = {"action": "submitted", "review": {"state": "changes_requested"}}

    answer = deliver_webhook(f"{url}/hooks/github", "s3cret", "pull_request_review", payload)

    assert answer.status_code == 202
    [(headers, body)] = received
    assert headers["x-github-event"] == "pull_request_review"
    assert headers["x-github-delivery"]
    assert github_signature_valid(b"s3cret", body, headers["x-hub-signature-256"])
    assert not github_signature_valid(b"other", body, headers["x-hub-signature-256"])


def test_deliver_gitlab_webhook_sends_the_token(
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = receiver

    deliver_gitlab_webhook(f"{url}/hooks/gitlab", "s3cret", "Note Hook", {"object_kind": "note"})

    [(headers, _body)] = received
    assert headers["x-gitlab-event"] == "Note Hook"
    assert headers["x-gitlab-webhook-uuid"]
    assert gitlab_token_valid(b"s3cret", headers["x-gitlab-token"])
