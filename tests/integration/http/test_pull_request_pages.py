"""The issue-to-PR loop on the pages (issue 19), on both databases: "Work on it", "Open pull
request" and "Send review to agent" with their flash messages, the pull request's state on the
issues view, the session page and the dashboard card, the project's auto flags, and who may
see or press what (a viewer sees no write button and gets 403; another tenant gets 404)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.pull_requests import (
    ChecksState,
    LoopStep,
    PullRequest,
    PullState,
    ReviewComment,
    ReviewState,
    StepKind,
    StepState,
)
from aiops.domain.model.trackers import Provider, TriageStatus
from aiops.entrypoints.http.pull_requests import back_to, opened_message, reviewed_message
from tests.integration.http.conftest import Sessions, World, csrf, post_form, sign_in
from tests.integration.http.test_agent_context import add_issue
from tests.integration.http.test_sessions import _Forms, submit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FLASH = re.compile(r'<div class="flash flash-(\w+)" role="status">([^<]*)</div>')


def user_id(app: Container, email: str) -> int:
    with app.uow(read_only=True) as uow:
        user = uow.users.get_by_email(email)
    assert user is not None
    assert user.id is not None
    return user.id


def seed_pull(
    app: Container, issue_id: int, email: str, number: int = 7, **fields: object
) -> PullRequest:
    """A pull request record as the sync stores one (the code host is not asked)."""
    with app.uow() as uow:
        issue = uow.issues.get(issue_id)
        assert issue is not None
        pull = PullRequest(
            project_id=issue.project_id, connection_id=issue.connection_id,
            provider=Provider.GITHUB, issue_id=issue_id, user_id=user_id(app, email),
            number=number, url=f"https://github.com/acme/web/pull/{number}",
            head="aiops/12-disk-full", base="main", title="Disk full on db-1",
            state=PullState.OPEN, created_at=T0, updated_at=T0,
        )  # fmt: skip
        pull = uow.pull_requests.add(attrs.evolve(pull, **fields))
        uow.commit()
    return pull


def seed_step(app: Container, key: str, **fields: object) -> LoopStep:
    step = LoopStep(
        kind=StepKind.OPEN_PULL_REQUEST, key=key, next_attempt_at=T0 + timedelta(hours=1),
        created_at=T0,
    )  # fmt: skip
    with app.uow() as uow:
        step = uow.loop_steps.add(attrs.evolve(step, **fields))
        uow.commit()
    return step


def work_on_it(client: TestClient, issue_id: int) -> Any:
    """Press the row's "Work on it": its launch form (and tool), sent to the work route."""
    page = client.get("/issues").text
    button = f'form="launch-{issue_id}" formaction="/issues/{issue_id}/work"'
    assert button in page
    forms = _Forms()
    forms.feed(page)
    return client.post(f"/issues/{issue_id}/work", data=forms.fields[f"launch-{issue_id}"])


def flashes(client: TestClient, path: str) -> list[tuple[str, str]]:
    return FLASH.findall(client.get(path).text)


@pytest.fixture
def issue_id(sessions: Sessions) -> int:
    """#12 of acme/web (on a GitHub connection: its code host)."""
    return add_issue(sessions.app, sessions.world.web_id, "#12")


# --- the issues view -------------------------------------------------------------------------


def test_an_issue_row_shows_its_pull_request_and_its_step_in_trouble(
    sessions: Sessions, issue_id: int
) -> None:
    client, app = sessions.client, sessions.app
    pull = seed_pull(
        app, issue_id, World.MEMBER, checks=ChecksState.FAILING,
        review=ReviewState.CHANGES_REQUESTED, checks_summary="1 passing, 1 failing",
    )  # fmt: skip
    seed_step(app, f"comment:pr:{pull.id}:opened", kind=StepKind.COMMENT, pull_request_id=pull.id,
              attempts=2, last_error="GitHub answered 502 Bad Gateway")  # fmt: skip
    sign_in(client, World.VIEWER)

    page = client.get("/issues").text

    assert f'data-pull-request="{pull.id}"' in page
    assert (
        '<a href="https://github.com/acme/web/pull/7" rel="noopener noreferrer">PR #7</a>' in page
    )
    assert '<span class="pr-state">open</span>' in page
    assert '<span class="pr-checks pr-checks-failing" aria-label="checks failing">✗</span>' in page
    assert 'aria-label="changes requested">changes</span>' in page
    assert (
        'aria-label="comment retrying" title="comment retrying: GitHub answered 502 Bad Gateway">⚠'
        in page
    )
    assert '<span class="pr-trouble error">GitHub answered 502 Bad Gateway</span>' in page


def test_a_failed_open_step_is_shown_and_a_pull_request_of_a_tenant_one_cannot_see_is_not(
    sessions: Sessions, issue_id: int
) -> None:
    client, app, world = sessions.client, sessions.app, sessions.world
    other = add_issue(app, world.api_id, "#99", title="Globex secret")
    seed_pull(app, other, World.OTHER_OWNER, number=99)
    sign_in(client, World.MEMBER)
    work_on_it(client, issue_id)  # the issue's worktree
    seed_step(app, f"open:issue:{issue_id}:user:1", issue_id=issue_id, state=StepState.FAILED,
              attempts=6, last_error="push rejected: non-fast-forward")  # fmt: skip

    page = client.get("/issues").text

    assert 'aria-label="open pull request failed"' in page
    assert '<span class="pr-trouble error">push rejected: non-fast-forward</span>' in page
    assert "Globex secret" not in page
    assert "PR #99" not in page


def test_a_member_gets_the_loops_buttons_and_a_viewer_none(
    sessions: Sessions, issue_id: int
) -> None:
    client = sessions.client
    sign_in(client, World.MEMBER)
    member = client.get("/issues").text
    client.post("/logout", data={"csrf_token": csrf(client, "/profile")})
    sign_in(client, World.VIEWER)
    viewer = client.get("/issues").text

    assert f'formaction="/issues/{issue_id}/work"' in member
    assert f'action="/issues/{issue_id}/pull-request"' in member
    assert ">Work on it</button>" in member
    assert ">Open pull request</button>" in member
    assert f"/issues/{issue_id}/work" not in viewer
    assert f"/issues/{issue_id}/pull-request" not in viewer
    assert "Open pull request" not in viewer


def test_work_on_it_starts_the_agent_in_the_issues_worktree_and_takes_the_issue(
    sessions: Sessions, issue_id: int
) -> None:
    client, app = sessions.client, sessions.app
    sign_in(client, World.MEMBER)

    started = work_on_it(client, issue_id)
    shown = client.get(started.headers["location"]).text

    [spec] = sessions.tmux.launched
    assert started.status_code == 303
    assert started.headers["location"].startswith("/sessions/")
    assert spec.cwd.endswith("/max/worktrees/web/aiops-gh-12-disk-full-on-db-1")
    assert (
        "codex started on #12 in the worktree aiops/gh-12-disk-full-on-db-1; "
        "the issue is in progress, yours."
    ) in shown
    with app.uow(read_only=True) as uow:
        issue = uow.issues.get(issue_id)
    assert issue is not None
    assert issue.triage.status is TriageStatus.IN_PROGRESS
    assert issue.triage.owner_id == user_id(app, World.MEMBER)


def test_open_pull_request_before_any_work_or_commit_is_a_flash_and_opens_nothing(
    sessions: Sessions, issue_id: int
) -> None:
    client, app = sessions.client, sessions.app
    sign_in(client, World.MEMBER)

    before = submit(client, client.get("/issues").text, f"pull-request-{issue_id}")
    said_before = flashes(client, "/issues")
    work_on_it(client, issue_id)  # a worktree, no commit yet
    session_page = client.get("/sessions").text
    nothing = post_form(client, f"/issues/{issue_id}/pull-request", {"next": "/issues?q=12"})
    said = flashes(client, "/issues")

    assert (before.status_code, before.headers["location"]) == (303, "/issues")
    assert [kind for kind, _ in said_before] == ["error"]
    assert said_before[0][1].startswith("Pull request: ")
    assert "start work" in said_before[0][1]
    assert "max-codex" in session_page
    assert (nothing.status_code, nothing.headers["location"]) == (303, "/issues?q=12")
    assert said == [("error", "Pull request: aiops/gh-12-disk-full-on-db-1 has no commits that "
                              "main lacks: nothing to propose")]  # fmt: skip
    with app.uow(read_only=True) as uow:
        assert list(uow.pull_requests.list(issue_id=issue_id)) == []


# --- permissions ---------------------------------------------------------------------------


def test_a_viewer_posting_gets_403_another_tenant_404_and_nothing_is_done(
    sessions: Sessions, issue_id: int
) -> None:
    client, app = sessions.client, sessions.app
    pull = seed_pull(app, issue_id, World.MEMBER)
    sign_in(client, World.VIEWER)
    viewer = [
        post_form(client, f"/issues/{issue_id}/work", {"tool": "codex"}).status_code,
        post_form(client, f"/issues/{issue_id}/pull-request", {}).status_code,
        post_form(client, f"/pull-requests/{pull.id}/review-to-agent", {}).status_code,
    ]
    client.post("/logout", data={"csrf_token": csrf(client, "/profile")})
    sign_in(client, World.OTHER_OWNER)
    other = [
        post_form(client, f"/issues/{issue_id}/work", {"tool": "codex"}).status_code,
        post_form(client, f"/issues/{issue_id}/pull-request", {}).status_code,
        post_form(client, f"/pull-requests/{pull.id}/review-to-agent", {}).status_code,
        post_form(client, "/pull-requests/987654/review-to-agent", {}).status_code,
    ]

    assert viewer == [403, 403, 403]
    assert other == [404, 404, 404, 404]
    assert sessions.tmux.launched == []
    with app.uow(read_only=True) as uow:
        assert list(uow.loop_steps.list(issue_id=issue_id)) == []
        assert list(uow.loop_steps.list(pull_request_id=pull.id)) == []


def test_every_loop_form_needs_the_csrf_token(sessions: Sessions, issue_id: int) -> None:
    client, app = sessions.client, sessions.app
    pull = seed_pull(app, issue_id, World.MEMBER)
    sign_in(client, World.MEMBER)

    posted = [
        client.post(f"/issues/{issue_id}/work", data={"tool": "codex"}).status_code,
        client.post(f"/issues/{issue_id}/pull-request", data={}).status_code,
        client.post(f"/pull-requests/{pull.id}/review-to-agent", data={}).status_code,
    ]

    assert posted == [403, 403, 403]
    assert sessions.tmux.launched == []


# --- the session page and the dashboard --------------------------------------------------


def test_the_session_page_shows_its_pull_request_and_sends_the_review_to_the_agent(
    sessions: Sessions, issue_id: int
) -> None:
    client, app = sessions.client, sessions.app
    sign_in(client, World.MEMBER)
    started = work_on_it(client, issue_id)
    location = started.headers["location"]
    comment = ReviewComment(path="src/app.py", line=3, author="olga", body="Use a context manager")
    pull = seed_pull(
        app, issue_id, World.MEMBER, review=ReviewState.CHANGES_REQUESTED, unresolved=(comment,),
        checks=ChecksState.FAILING, checks_summary="2 passing, 1 failing", failing_checks=("lint",),
    )  # fmt: skip

    page = client.get(location).text
    sent = post_form(client, f"/pull-requests/{pull.id}/review-to-agent", {"next": location})
    said = flashes(client, location)

    assert (
        '<dd class="pr-checks-summary">2 passing, 1 failing <span class="hint">(failing: lint)</span></dd>'
        in page
    )
    assert '<dd class="pr-review-state">changes requested</dd>' in page
    assert '<dd class="pr-unresolved">1</dd>' in page
    assert f'action="/pull-requests/{pull.id}/review-to-agent"' in page
    assert (sent.status_code, sent.headers["location"]) == (303, location)
    assert len(said) == 1
    assert said[0][0] == "info"
    assert said[0][1].startswith("Review of #7 sent to the agent")
    [(target, prompt)] = sessions.tmux.typed
    assert target.endswith(f"max-codex-i{issue_id}")
    assert prompt


def test_the_dashboard_card_lists_the_users_own_open_pull_requests(
    sessions: Sessions, issue_id: int
) -> None:
    client, app, world = sessions.client, sessions.app, sessions.world
    seed_pull(app, issue_id, World.MEMBER, number=7, state=PullState.DRAFT)
    seed_pull(app, issue_id, World.MEMBER, number=8, state=PullState.MERGED)
    seed_pull(app, issue_id, World.OWNER, number=9)
    sign_in(client, World.MEMBER)

    page = client.get("/").text
    card = page[page.index(f'id="project-{world.web_id}"') :]

    assert 'aria-label="Your open pull requests"' in card
    assert "PR #7</a>" in card
    assert '<span class="pr-state">draft</span>' in card
    assert "PR #8" not in card  # merged
    assert "PR #9" not in card  # olga's


# --- the project's auto flags and the tracker form ----------------------------------------


def test_an_owner_turns_the_auto_flags_on_and_off_on_the_project_page(
    sessions: Sessions,
) -> None:
    client, app, world = sessions.client, sessions.app, sessions.world
    sign_in(client, World.OWNER)
    path = f"/admin/projects/{world.web_id}"
    base = {"name": "Web", "default_branch": "main", "clone_filter": "none", "auto_flags": "1"}

    page = client.get(path).text
    on = post_form(client, path, {**base, "auto_pull_request": "on", "auto_review_to_agent": "on"})
    shown = client.get(path).text
    project_on = app.get_project()(world.web_id)
    post_form(client, path, {**base, "auto_review_to_agent": "on"})
    project_half = app.get_project()(world.web_id)
    post_form(client, path, {k: v for k, v in base.items() if k != "auto_flags"})  # an old form
    project_kept = app.get_project()(world.web_id)

    assert 'name="auto_pull_request"' in page
    assert 'name="auto_review_to_agent"' in page
    assert on.status_code == 303
    assert 'name="auto_pull_request" checked' in shown
    assert (project_on.auto_pull_request, project_on.auto_review_to_agent) == (True, True)
    assert (project_half.auto_pull_request, project_half.auto_review_to_agent) == (False, True)
    assert (project_kept.auto_pull_request, project_kept.auto_review_to_agent) == (False, True)


def test_a_member_may_not_change_the_auto_flags(sessions: Sessions) -> None:
    client, app, world = sessions.client, sessions.app, sessions.world
    sign_in(client, World.MEMBER)

    refused = post_form(
        client, f"/admin/projects/{world.web_id}", {"auto_flags": "1", "auto_pull_request": "on"}
    )

    assert refused.status_code in (403, 404)
    assert app.get_project()(world.web_id).auto_pull_request is False


def test_the_tracker_form_says_which_write_scopes_the_token_needs(sessions: Sessions) -> None:
    client = sessions.client
    sign_in(client, World.OWNER)

    page = client.get("/admin/trackers").text

    assert "<code>pull_requests: write</code>" in page
    assert "<code>issues: write</code>" in page
    assert "GitLab <code>api</code>" in page
    assert 'Jira the "Add comments" project permission' in page


# --- the messages, and where a form may send the browser back to --------------------------


def _step(**fields: object) -> LoopStep:
    step = LoopStep(kind=StepKind.OPEN_PULL_REQUEST, key="open:issue:1:user:2",
                    next_attempt_at=datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC), created_at=T0)  # fmt: skip
    return attrs.evolve(step, **fields)


def _pull(**fields: object) -> PullRequest:
    pull = PullRequest(
        project_id=1, connection_id=1, provider=Provider.GITHUB, issue_id=1, user_id=2, number=5,
        url="https://github.com/acme/web/pull/5", head="aiops/1-x", base="main", title="X",
        state=PullState.OPEN, created_at=T0, updated_at=T0,
    )  # fmt: skip
    return attrs.evolve(pull, **fields)


def test_each_outcome_of_an_open_step_has_its_message() -> None:
    from aiops.domain.usecases.pull_requests import StepOutcome

    def said(step: LoopStep, pull: PullRequest | None = None) -> tuple[str, str]:
        return opened_message(StepOutcome(step=step, pull_request=pull))

    assert said(_step(state=StepState.DONE), _pull()) == (
        "Pull request #5 is open: https://github.com/acme/web/pull/5", "info")  # fmt: skip
    assert said(_step(state=StepState.DONE), _pull(state=PullState.DRAFT))[0].startswith(
        "Pull request #5 opened as a draft"
    )
    assert said(_step(state=StepState.DONE, result="nothing to propose")) == (
        "Pull request: nothing to propose.", "info")  # fmt: skip
    assert said(_step(attempts=1, last_error="GitHub answered 503")) == (
        "Pull request: queued for a retry at 12:00:05 UTC: GitHub answered 503", "error")  # fmt: skip
    assert said(_step(state=StepState.FAILED, last_error="push rejected")) == (
        "Pull request: failed: push rejected", "error")  # fmt: skip
    assert said(_step())[1] == "info"
    review = _step(kind=StepKind.REVIEW_TO_AGENT, state=StepState.DONE, result="2 comments")
    assert reviewed_message(StepOutcome(step=review, pull_request=_pull())) == (
        "Review of #5 sent to the agent: 2 comments.", "info")  # fmt: skip


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/issues?q=12", "/issues?q=12"),
        ("/sessions/4", "/sessions/4"),
        ("//evil.example/issues", "/issues"),
        ("https://evil.example/", "/issues"),
        ("/admin/users", "/issues"),
        ("/sessions/\\evil", "/issues"),
    ],
)
def test_a_form_sends_the_browser_back_only_to_the_loops_pages(target: str, expected: str) -> None:
    assert back_to(target) == expected
