"""The pages' read of the issue-to-PR loop: PRs and step troubles by issue, the user's open PRs
by project, only what the actor may see; and the project's two auto flags."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.model.access import Actor
from aiops.domain.model.pull_requests import (
    LoopStep,
    PullRequest,
    PullState,
    StepKind,
    StepState,
)
from aiops.domain.model.tenants import Role
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from aiops.domain.model.worktrees import Worktree
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.pull_request_board import IssueLoop, latest_trouble
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.fakes import FakeClock, FakeUnitOfWork

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.app: Container = bootstrap(uow=self.uow, clock=FakeClock())
        self.ids: dict[str, int] = {}
        for slug in ("acme", "globex"):
            tenant = self.app.create_tenant()(CreateTenantCommand(slug=slug, name=slug.title()))
            project = self.app.create_project()(
                CreateProjectCommand(tenant=slug, slug="web", name=f"{slug} web")
            )
            assert tenant.id is not None
            assert project.id is not None
            self.ids[slug], self.ids[f"{slug}/web"] = tenant.id, project.id
        with self.uow:
            self.uow.issues.add_many([self.issue("acme", 1), self.issue("globex", 2)])
            self.uow.commit()
        self.issues = {i.id: i for i in self.uow.committed.issues.values()}
        numbers = {i.remote.number: i.id for i in self.issues.values()}
        self.acme_issue, self.globex_issue = numbers["#1"], numbers["#2"]

    def loops(self, issue_ids: list[int], actor: Actor) -> Mapping[int, IssueLoop]:
        return self.app.pull_request_board().for_issues([self.issues[i] for i in issue_ids], actor)

    def worktree(self, issue_id: int) -> None:
        issue = self.issues[issue_id]
        with self.uow:
            self.uow.worktrees.add(
                Worktree(
                    project_id=issue.project_id, user_id=7, branch="aiops/gh-1", path="/w/gh-1",
                    issue_id=issue_id, created_at=T0,
                )
            )  # fmt: skip
            self.uow.commit()

    def issue(self, tenant: str, n: int) -> Issue:
        remote = RemoteIssue(
            external_id=str(n), number=f"#{n}", title=f"Issue {n}", body="",
            state=IssueState.OPEN, labels=(), created_at=T0, updated_at=T0,
        )  # fmt: skip
        project_id = self.ids[f"{tenant}/web"]
        return Issue(
            connection_id=n, project_id=project_id, provider=Provider.GITHUB, remote=remote
        )

    def pull(self, issue_id: int | None, tenant: str, n: int, **fields: object) -> PullRequest:
        pull = PullRequest(
            project_id=self.ids[f"{tenant}/web"], connection_id=1, provider=Provider.GITHUB,
            issue_id=issue_id, user_id=int(fields.pop("user_id", 7)),  # type: ignore[call-overload]
            number=n, url=f"https://github.example/acme/web/pull/{n}", head="aiops/x",
            base="main", title=f"PR {n}", state=fields.pop("state", PullState.OPEN),  # type: ignore[arg-type]
            created_at=T0, updated_at=T0,
        )  # fmt: skip
        with self.uow:
            pull = self.uow.pull_requests.add(pull)
            self.uow.commit()
        return pull

    def step(self, key: str, minutes: int, **fields: object) -> LoopStep:
        step = LoopStep(
            kind=fields.pop("kind", StepKind.OPEN_PULL_REQUEST),  # type: ignore[arg-type]
            key=key, next_attempt_at=T0, created_at=T0 + timedelta(minutes=minutes),
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip
        with self.uow:
            step = self.uow.loop_steps.add(step)
            self.uow.commit()
        return step

    def actor(self, user_id: int, **roles: Role) -> Actor:
        by_id = {self.ids[slug]: role for slug, role in roles.items()}
        return Actor(name=f"u{user_id}@example.com", user_id=user_id, roles=by_id)


def test_an_issue_shows_its_pull_requests_newest_first_and_its_latest_trouble() -> None:
    w = World()
    older = w.pull(w.acme_issue, "acme", 3)
    newer = w.pull(w.acme_issue, "acme", 4, user_id=8)
    w.step("open:issue:1:user:7", 0, issue_id=w.acme_issue, state=StepState.DONE)
    failing = w.step(
        f"comment:pr:{newer.id}:opened", 1, kind=StepKind.COMMENT,
        pull_request_id=newer.id, last_error="tracker said 502", attempts=2,
    )  # fmt: skip

    loops = w.loops([w.acme_issue], w.actor(7, acme=Role.MEMBER))
    one = w.app.pull_request_board().for_issue(w.acme_issue, w.actor(7, acme=Role.VIEWER))

    loop = loops[w.acme_issue]
    assert one == loop
    assert [p.number for p in loop.pulls] == [4, 3]
    assert loop.pull == newer
    assert loop.pull_of(7) == older
    assert loop.pull_of(99) is None
    assert loop.trouble == failing


def test_another_tenants_issue_and_an_issue_without_a_loop_are_left_out() -> None:
    w = World()
    w.pull(w.globex_issue, "globex", 5)
    w.worktree(w.acme_issue)  # worked on, nothing in trouble yet

    board = w.app.pull_request_board()
    loops = w.loops([w.acme_issue, w.globex_issue], w.actor(7, acme=Role.OWNER))

    assert loops == {}
    assert board.for_issue(w.globex_issue, w.actor(7, acme=Role.OWNER)) is None
    assert board.for_issue(12345, Actor.system()) is None


def test_a_failed_open_step_of_an_issue_worked_on_is_its_trouble() -> None:
    w = World()
    w.worktree(w.acme_issue)
    failed = w.step(
        "open:issue:1:user:7", 0, issue_id=w.acme_issue, state=StepState.FAILED,
        last_error="push rejected: non-fast-forward",
    )  # fmt: skip

    loops = w.loops([w.acme_issue], w.actor(7, acme=Role.VIEWER))

    assert loops[w.acme_issue].pulls == ()
    assert loops[w.acme_issue].trouble == failed


def test_a_trouble_a_later_step_of_its_kind_got_past_is_over() -> None:
    failed = LoopStep(
        kind=StepKind.OPEN_PULL_REQUEST, key="a", state=StepState.FAILED, last_error="push rejected",
        next_attempt_at=T0, created_at=T0, id=1,
    )  # fmt: skip
    done = LoopStep(
        kind=StepKind.OPEN_PULL_REQUEST, key="b", state=StepState.DONE,
        next_attempt_at=T0, created_at=T0 + timedelta(minutes=1), id=2,
    )  # fmt: skip
    retrying = LoopStep(
        kind=StepKind.COMMENT, key="c", last_error="rate limited", next_attempt_at=T0,
        created_at=T0 + timedelta(minutes=2), id=3,
    )  # fmt: skip
    quiet = LoopStep(kind=StepKind.COMMENT, key="d", next_attempt_at=T0, created_at=T0, id=4)

    assert latest_trouble([failed, done]) is None
    assert latest_trouble([failed]) == failed
    assert latest_trouble([failed, done, retrying]) == retrying
    assert latest_trouble([quiet]) is None  # pending, not tried yet: no trouble


def test_the_dashboard_lists_only_the_users_own_open_pull_requests_it_may_see() -> None:
    w = World()
    mine = w.pull(w.acme_issue, "acme", 1)
    draft = w.pull(None, "acme", 2, state=PullState.DRAFT)
    w.pull(w.acme_issue, "acme", 3, state=PullState.MERGED)
    w.pull(w.acme_issue, "acme", 4, user_id=8)
    w.pull(w.globex_issue, "globex", 5)  # the user's, in a tenant they no longer see

    board = w.app.pull_request_board()
    found = board.open_of_user(
        [w.ids["acme/web"], w.ids["globex/web"]], w.actor(7, acme=Role.VIEWER)
    )

    assert found == {w.ids["acme/web"]: (draft, mine)}
    assert board.open_of_user([w.ids["acme/web"]], Actor.system()) == {}


def test_the_project_update_sets_and_keeps_the_auto_flags() -> None:
    w = World()
    update = w.app.update_project()

    on = update(UpdateProjectCommand(project_id=w.ids["acme/web"], auto_pull_request=True))
    kept = update(UpdateProjectCommand(project_id=w.ids["acme/web"], auto_review_to_agent=True))
    off = update(UpdateProjectCommand(project_id=w.ids["acme/web"], auto_pull_request=False))

    assert (on.project.auto_pull_request, on.project.auto_review_to_agent) == (True, False)
    assert (kept.project.auto_pull_request, kept.project.auto_review_to_agent) == (True, True)
    assert (off.project.auto_pull_request, off.project.auto_review_to_agent) == (False, True)
    audited = [e for e in w.uow.committed.audit if e.action == "project.updated"]
    assert audited[-1].detail["auto_pull_request"] is False
