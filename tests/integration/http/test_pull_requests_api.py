"""The issue-to-PR loop over /api/v1 (issue 19), on both databases, a real git remote and the
fake GitHub over real HTTP, with tmux and the Linux accounts in memory: work on an issue,
open its pull request, follow it through a webhook, send its review to the agent; and every
refusal (400 shape, 403 viewer, 404 another tenant's or unknown, 409 state) leaving nothing
behind."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from starlette.testclient import TestClient

from aiops.config import Settings
from aiops.container import Container
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from aiops.domain.usecases.sync_issues import SyncIssuesCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.entrypoints.http.webhook_syncs import WebhookSyncs
from tests.integration.git.conftest import Git
from tests.integration.http.conftest import Sessions, World, bearer
from tests.integration.trackers.conftest import github, github_url
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub

__all__ = ["github", "github_url"]

SECRET = "whsec-loop-3c1d"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The fake GitHub listens on 127.0.0.1; the loop's steps run when the tests say so."""
    return attrs.evolve(settings, tracker_allow_private_networks=True, pr_loop_poll_seconds=0)


@attrs.frozen
class Loop:
    client: TestClient
    app: Container
    world: World
    sessions: Sessions
    connection_id: int
    issue_id: int
    github: FakeGitHub


@pytest.fixture
def loop(sessions: Sessions, github: FakeGitHub, github_url: str) -> Loop:
    """acme/web on the fake GitHub (acme/web, with a webhook secret) and its issue #1 synced."""
    app, world = sessions.app, sessions.world
    connection = app.add_tracker()(
        AddTrackerCommand(project_id=world.web_id, provider="github", base_url=github_url,
                          key="acme/web", token=TOKEN, webhook_secret=SECRET)
    )  # fmt: skip
    assert connection.id is not None
    github.add_issue("acme/web")
    [run] = app.sync_issues()(SyncIssuesCommand(connection_id=connection.id, actor=SYSTEM))
    assert run.error is None
    with app.uow() as uow:
        [issue] = uow.issues.for_connection(connection.id).values()
    assert issue.id is not None
    return Loop(sessions.client, app, world, sessions, connection.id, issue.id, github)


def post(loop: Loop, path: str, who: str, body: Any = None) -> Any:
    return loop.client.post(path, json=body, headers=bearer(loop.world, who))


def work(loop: Loop, who: str = World.MEMBER, **body: Any) -> Any:
    return post(loop, f"/api/v1/issues/{loop.issue_id}/work", who, {"tool": "codex", **body})


def open_pull(loop: Loop, who: str = World.MEMBER, **body: Any) -> Any:
    return post(loop, f"/api/v1/issues/{loop.issue_id}/pull-request", who, body)


def pulls(loop: Loop, who: str = World.MEMBER, query: str = "") -> Any:
    return loop.client.get(f"/api/v1/pull-requests{query}", headers=bearer(loop.world, who))


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_work_on_an_issue_launches_the_agent_in_its_worktree_and_puts_it_in_progress(
    loop: Loop,
) -> None:
    first = work(loop)
    again = work(loop)

    assert first.status_code == 201, first.text
    shown = first.json()
    assert set(shown) == {"session", "created", "worktree", "issue"}
    assert shown["created"] is True
    assert shown["worktree"]["branch"] == "aiops/gh-1-issue-1"
    assert shown["worktree"]["path"].endswith("/max/worktrees/web/aiops-gh-1-issue-1")
    assert (shown["session"]["issue_id"], shown["session"]["tool"]) == (loop.issue_id, "codex")
    max_id = loop.client.get("/api/v1/users/me", headers=bearer(loop.world, World.MEMBER))
    assert shown["issue"]["triage"]["status"] == "in_progress"
    assert shown["issue"]["triage"]["owner_id"] == max_id.json()["id"]
    [spec] = loop.sessions.tmux.launched
    assert spec.cwd == shown["worktree"]["path"]
    assert (again.status_code, again.json()["created"]) == (201, False)
    assert again.json()["worktree"]["id"] == shown["worktree"]["id"]
    exclude = Path(loop.app.settings().workspace_root, "max", "workspace", "web", ".git", "info",
                   "exclude")  # fmt: skip
    assert "AGENTS.override.md" in exclude.read_text()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "tool"),
        ({"tool": "vim"}, "tool"),
        ({"tool": "codex", "user_email": "not-an-email"}, "user_email"),
        ({"tool": "codex", "branch": "x"}, "branch"),
    ],
)
def test_a_bad_work_body_is_400_and_launches_nothing(
    loop: Loop, body: dict[str, Any], field: str
) -> None:
    response = post(loop, f"/api/v1/issues/{loop.issue_id}/work", World.MEMBER, body)

    assert response.status_code == 400
    assert field in response.json()["error"]["message"]
    assert loop.sessions.tmux.launched == []


def test_work_is_refused_to_viewers_other_tenants_and_for_unknown_issues(loop: Loop) -> None:
    viewer = work(loop, World.VIEWER)
    stranger = work(loop, World.OTHER_OWNER)
    unknown = post(loop, "/api/v1/issues/999999/work", World.MEMBER, {"tool": "codex"})
    for_another = work(loop, World.MEMBER, user_email=World.ADMIN)  # a member acts for no one

    assert viewer.status_code == 403
    assert stranger.status_code == 404
    assert unknown.status_code == 404
    assert for_another.status_code in (403, 404)
    assert loop.sessions.tmux.launched == []
    with loop.app.uow() as uow:
        issue = uow.issues.get(loop.issue_id)
    assert issue is not None
    assert issue.triage.status.value == "new"


def test_opening_a_pull_request_is_refused_until_there_is_something_to_propose(
    loop: Loop,
) -> None:
    no_worktree = open_pull(loop)
    work(loop)
    nothing = open_pull(loop)
    viewer = open_pull(loop, World.VIEWER)
    stranger = open_pull(loop, World.OTHER_OWNER)
    unknown = post(loop, "/api/v1/issues/999999/pull-request", World.MEMBER, {})
    bad = open_pull(loop, draft="yes")

    assert no_worktree.status_code == 409
    assert "start work" in no_worktree.json()["error"]["message"]
    assert error(nothing) == (409, "nothing_to_propose")
    assert viewer.status_code == 403
    assert stranger.status_code == 404
    assert unknown.status_code == 404
    assert bad.status_code == 400
    assert pulls(loop).json() == {"pull_requests": []}
    assert not [r for r in loop_requests(loop) if r.method == "POST"]


def loop_requests(loop: Loop) -> list[Any]:
    return list(loop.github.requests)


def test_a_project_without_github_or_gitlab_has_no_code_host(sessions: Sessions) -> None:
    app, world = sessions.app, sessions.world
    jira = app.add_tracker()(
        AddTrackerCommand(project_id=world.web_id, provider="jira",
                          base_url="https://acme.atlassian.net", key="OPS",
                          token="bot@example.com:j")
    )  # fmt: skip
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.uow() as uow:
        uow.issues.add_many([
            Issue(connection_id=jira.id or 0, project_id=world.web_id, provider=Provider.JIRA,
                  remote=RemoteIssue(external_id="10", number="OPS-7", title="Rotate keys",
                                     body="", state=IssueState.OPEN, created_at=moment,
                                     updated_at=moment))
        ])  # fmt: skip
        uow.commit()
        [issue] = uow.issues.for_connection(jira.id or 0).values()
    client = sessions.client
    headers = bearer(world, World.MEMBER)
    started = client.post(f"/api/v1/issues/{issue.id}/work", json={"tool": "codex"},
                          headers=headers)  # fmt: skip
    Git(Path(started.json()["worktree"]["path"])).commit({"keys.txt": "k\n"}, "Rotate OPS-7")

    refused = client.post(f"/api/v1/issues/{issue.id}/pull-request", headers=headers)

    assert started.status_code == 201, started.text
    assert error(refused) == (409, "no_code_host")


def test_listing_pull_requests_checks_its_filters_and_hides_other_tenants(loop: Loop) -> None:
    stranger = pulls(loop, World.OTHER_OWNER, f"?project_id={loop.world.web_id}")
    strangers_issue = pulls(loop, World.OTHER_OWNER, f"?issue_id={loop.issue_id}")
    bad = pulls(loop, World.MEMBER, "?project_id=zero")
    out_of_range = pulls(loop, World.MEMBER, "?issue_id=0")

    assert stranger.status_code == 404
    assert strangers_issue.status_code == 404
    assert (bad.status_code, out_of_range.status_code) == (400, 400)
    assert pulls(loop, World.VIEWER).json() == {"pull_requests": []}


def test_review_to_agent_refusals(loop: Loop) -> None:
    unknown = post(loop, "/api/v1/pull-requests/999999/review-to-agent", World.MEMBER)

    assert error(unknown) == (404, "pull_request_missing")


def signed(body: bytes, event: str, delivery: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Event": event,
        "Content-Type": "application/json",
    }


def webhook(loop: Loop, event: str, delivery: str, payload: dict[str, Any]) -> Any:
    body = json.dumps(payload).encode()
    response = loop.client.post(f"/hooks/github?connection={loop.connection_id}", content=body,
                                headers=signed(body, event, delivery))  # fmt: skip
    syncs: WebhookSyncs = loop.client.app.state.webhook_syncs  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not syncs.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert syncs.idle()
    return response


def sync_runs(loop: Loop) -> int:
    with loop.app.uow() as uow:
        return len(list(uow.sync_runs.list(loop.connection_id)))


def opened(loop: Loop) -> tuple[dict[str, Any], dict[str, Any]]:
    """Work on the issue, a commit in its worktree, the pull request opened (twice: the second
    finds the first); the session shown by `work` and the pull request."""
    github, key = loop.github, "acme/web"
    started = work(loop).json()
    Git(Path(started["worktree"]["path"])).commit({"disk.py": "free = 1\n"}, "Free the disk (#1)")

    first = open_pull(loop)
    again = open_pull(loop)

    assert first.status_code == 201, first.text
    pull, step = first.json()["pull_request"], first.json()["step"]
    assert (pull["head"], pull["base"], pull["state"]) == ("aiops/gh-1-issue-1", "main", "open")
    assert (pull["provider"], pull["issue_id"], pull["review"]) == ("github", loop.issue_id, "none")
    assert (step["kind"], step["state"], step["attempts"]) == ("open-pull-request", "done", 1)
    assert step["key"].startswith(f"open:issue:{loop.issue_id}:user:")
    assert again.status_code == 201
    assert again.json()["pull_request"]["id"] == pull["id"]
    [remote] = github.pulls[key].values()
    assert remote["number"] == pull["number"]
    assert "Closes #1" in str(remote["body"])
    assert "Free the disk (#1)" in str(remote["body"])
    [comment] = github.issue_comments(key, 1)
    assert pull["url"] in str(comment["body"])
    return started, pull


def test_from_work_to_merged_with_the_review_sent_back_to_the_agent(loop: Loop) -> None:
    github, key = loop.github, "acme/web"
    started, pull = opened(loop)
    tree = Path(started["worktree"]["path"])
    session = started["session"]

    listed = pulls(loop, World.MEMBER, f"?issue_id={loop.issue_id}").json()["pull_requests"]
    assert [p["id"] for p in listed] == [pull["id"]]
    assert [p["id"] for p in pulls(loop, World.VIEWER).json()["pull_requests"]] == [pull["id"]]
    assert pulls(loop, World.OTHER_OWNER).json() == {"pull_requests": []}

    # A "changes requested" review arrives by webhook: the pull requests are synced, the issues
    # are not (a pull request's event), and nothing is sent while auto_review_to_agent is off.
    number = int(pull["number"])
    review = github.add_review(key, number, user="rita", state="CHANGES_REQUESTED")
    said = "Keep the log:\n  `rm -rf /var/log` loses it — use logrotate"
    github.add_thread(key, number, path="disk.py", line=1, body=said, author="rita")
    runs_before = sync_runs(loop)
    delivered = webhook(
        loop, "pull_request_review", "r-1", github.review_payload(key, number, review)
    )

    assert delivered.status_code == 202
    assert sync_runs(loop) == runs_before
    [synced] = pulls(loop).json()["pull_requests"]
    assert synced["review"] == "changes_requested"
    assert synced["unresolved_comments"] == [
        {"path": "disk.py", "line": 1, "author": "rita", "body": said}
    ]
    assert loop.sessions.tmux.typed == []

    stranger = post(loop, f"/api/v1/pull-requests/{pull['id']}/review-to-agent", World.OTHER_OWNER)
    viewer = post(loop, f"/api/v1/pull-requests/{pull['id']}/review-to-agent", World.VIEWER)
    sent = post(loop, f"/api/v1/pull-requests/{pull['id']}/review-to-agent", World.MEMBER)

    assert stranger.status_code == 404
    assert viewer.status_code == 403
    assert sent.status_code == 202, sent.text
    assert (sent.json()["step"]["kind"], sent.json()["step"]["state"]) == (
        "review-to-agent",
        "done",
    )
    [(window, prompt)] = loop.sessions.tmux.typed
    assert window == f"{session['tmux_session']}:{session['tmux_window']}"
    assert prompt.startswith(f"Review of {pull['url']}: 1 comment(s)")
    assert said in (tree / "AGENTS.override.md").read_text()

    # Merged on GitHub: the webhook syncs it, and the issue gets its "merged" comment, once.
    github.merge(key, number)
    webhook(loop, "pull_request", "m-1", github.webhook_payload(key, number, "closed"))
    webhook(loop, "pull_request", "m-2", github.webhook_payload(key, number, "closed"))

    [merged] = pulls(loop).json()["pull_requests"]
    assert merged["state"] == "merged"
    comments = github.issue_comments(key, 1)
    assert len(comments) == 2
    assert "merged" in str(comments[1]["body"])
    assert len(github.pulls[key]) == 1
