"""The issue-to-PR loop's use cases against the fakes: open (push, find or open, record,
comment), refusals and permissions, tracker faults retried with backoff, the sync's comments
and review steps, the review sent to the agent, the runner's claims, the automatic open."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path, PurePosixPath

import attrs
import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.pull_requests import (
    NOTHING_TO_PROPOSE,
    LoopStep,
    NoCodeHost,
    NothingToPropose,
    PullState,
    ReviewComment,
    StepKind,
    StepState,
    review_prompt,
    step_trouble,
)
from aiops.domain.model.sessions import AgentStatus, Tool
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    Provider,
    TrackerAuthFailed,
    TrackerConnection,
    TrackerRateLimited,
    TrackerUnreachable,
)
from aiops.domain.model.workspaces import PushRejected, WorkspacePolicy
from aiops.domain.model.worktrees import Worktree
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases.agent_context import PopulateCommand
from aiops.domain.usecases.agent_events import AgentEventCommand, RecordAgentEvents
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.pull_requests import (
    ListLoopSteps,
    ListLoopStepsCommand,
    ListPullRequests,
    ListPullRequestsCommand,
    LoopStepRunner,
    OpenPullRequest,
    OpenPullRequestCommand,
    ReviewToAgent,
    ReviewToAgentCommand,
    RunLoopSteps,
    StepOutcome,
    SyncPullRequests,
    queue_after_finished,
)
from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import (
    FakeAgentContextFiles,
    FakeClock,
    FakeGitWorkspaces,
    FakeGitWorktrees,
    FakeLinuxUsers,
    FakeLocks,
    FakeSecretBox,
    FakeTmuxSessions,
    FakeUnitOfWork,
)
from tests.fakes.agent_status import FakeAgentHooks, FakeSessionTokens
from tests.fakes.code_hosts import FakeCodeHost, FakeIssueComments
from tests.integration.test_tracker_repositories import remote

URL = "/srv/git/web.git"
IVO, VERA, OLGA, VIC = "ivo@example.com", "vera@example.com", "olga@example.com", "vic@ex.com"
MAIN = Path("/home/ivan/workspace/web")
TREES = Path("/home/ivan/worktrees/web")
FIX_TREE = TREES / "aiops-gh-7-fix-login"
BRANCH = "aiops/gh-7-fix-login"


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.git = FakeGitWorkspaces({URL: {"main": ["c1"]}})
        self.worktrees = FakeGitWorktrees(self.git)
        self.tmux = FakeTmuxSessions(self.clock)
        self.files = FakeAgentContextFiles(MAIN, FIX_TREE)
        self.linux_users = FakeLinuxUsers("ivan", "vera", "olga", "victor")
        self.box = FakeSecretBox()
        self.host = FakeCodeHost()
        self.comments = FakeIssueComments()
        self.jira_comments = FakeIssueComments()
        self.populated: list[PopulateCommand] = []
        app: Container = bootstrap(
            workspace_policy=WorkspacePolicy(
                root=PurePosixPath("/home"),
                linux_user_mapping={IVO: "ivan", VERA: "vera", OLGA: "olga", VIC: "victor"},
            ),
            uow=self.uow,
            clock=self.clock,
            git_workspaces=self.git,
            git_worktrees=self.worktrees,
            linux_users=self.linux_users,
            secret_box=self.box,
            tmux_sessions=self.tmux,
            agent_hooks=FakeAgentHooks(),
            agent_context_files=self.files,
            mirror_credentials=lambda user_id, tool, account: {},
        )
        self.app = app
        self._people()
        self.runner = LoopStepRunner(
            uow=self.uow,
            clock=self.clock,
            secret_box=self.box,
            code_hosts={Provider.GITHUB: self.host, Provider.GITLAB: self.host},
            comments={
                Provider.GITHUB: self.comments,
                Provider.GITLAB: self.comments,
                Provider.JIRA: self.jira_comments,
            },
            git=self.git,
            worktrees=self.worktrees,
            locate=app.locate_workspace(),
            locks=FakeLocks(),
            tmux=self.tmux,
            linux_users=self.linux_users,
            launch=app.launch_session(),
            populate=self.populated.append,
        )
        self.open_pr = OpenPullRequest(uow=self.uow, clock=self.clock, runner=self.runner)
        self.review = ReviewToAgent(uow=self.uow, clock=self.clock, runner=self.runner)
        self.list = ListPullRequests(uow=self.uow)
        self.sync = SyncPullRequests(uow=self.uow, clock=self.clock, secret_box=self.box,
                                     code_hosts={Provider.GITHUB: self.host})  # fmt: skip
        self.run_steps = RunLoopSteps(uow=self.uow, clock=self.clock, runner=self.runner)

    def _people(self) -> None:
        app = self.app
        app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        app.create_tenant()(CreateTenantCommand(slug="other", name="Other"))
        web = app.create_project()(
            CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=URL)
        )
        self.web = web.id or 0
        for email, tenant, role in ((IVO, "acme", "member"), (VERA, "other", "owner"),
                                    (OLGA, "acme", "owner"), (VIC, "acme", "viewer")):  # fmt: skip
            app.create_user()(CreateUserCommand(email=email, name=email.split("@")[0]))
            app.add_member()(AddMemberCommand(tenant=tenant, email=email, role=role))
        connection = app.add_tracker()(
            AddTrackerCommand(project_id=self.web, provider="github",
                              base_url="https://api.github.com", key="acme/web", token="t")
        )  # fmt: skip
        self.connection = connection.id or 0
        with self.uow as uow:
            uow.issues.add_many(
                [Issue(connection_id=self.connection, project_id=self.web,
                       provider=Provider.GITHUB,
                       remote=remote(7, title="Fix login", state=IssueState.OPEN))]
            )  # fmt: skip
            uow.commit()
            self.fix = uow.issues.for_connection(self.connection)["7"].id or 0

    def actor(self, email: str) -> Actor:
        with self.uow as uow:
            user = uow.users.get_by_email(email)
            assert user is not None
            return actor_for(uow, user)

    def start_work(self, email: str = IVO) -> None:
        self.app.launch_session()(
            LaunchSessionCommand(project_id=self.web, tool="codex", user_email=email,
                                 issue_id=self.fix)
        )  # fmt: skip

    def commit(self, message: str = "fix") -> str:
        return self.git.commit(FIX_TREE, message)

    def open(self, email: str | None = IVO, **kw: object) -> StepOutcome:
        actor = self.actor(email) if email else SYSTEM
        return self.open_pr(OpenPullRequestCommand(issue_id=self.fix, actor=actor, **kw))  # type: ignore[arg-type]

    def steps(self) -> dict[str, LoopStep]:
        with self.uow as uow:
            return {s.key: s for s in uow.loop_steps.list()}

    def audit(self) -> list[str]:
        with self.uow as uow:
            return [e.action for e in uow.audit.list(AuditQuery()) if "pull_request" in e.action]

    def set_project(self, **changes: object) -> None:
        with self.uow as uow:
            project = uow.projects.get(self.web)
            assert project is not None
            uow.projects.update(attrs.evolve(project, **changes))  # type: ignore[misc]
            uow.commit()


@pytest.fixture
def world() -> World:
    w = World()
    w.start_work()
    return w


def test_open_pushes_opens_the_pull_request_records_it_and_comments_on_the_issue(
    world: World,
) -> None:
    sha = world.commit("fix")

    outcome = world.open()

    assert outcome.step.state is StepState.DONE
    [pull] = world.host.pulls.values()
    assert (pull.head, pull.base, pull.title) == (BRANCH, "main", "Fix login (#7)")
    body = world.host.bodies[pull.number]
    assert body.startswith("Closes #7\n")
    assert f"- {sha[:7]} fix" in body
    assert "Opened by aiops for ivo@example.com's codex agent." in body
    assert world.git.remotes[URL][BRANCH][-1] == sha  # pushed
    assert outcome.pull_request is not None
    assert (outcome.pull_request.url, outcome.pull_request.user_id) == (
        pull.url,
        outcome.step.user_id,
    )
    [comment] = world.comments.bodies("#7")
    assert comment.startswith(f"aiops opened {pull.url} for this issue.")
    key = f"comment:pr:{outcome.pull_request.id}:opened"
    assert f"<!-- aiops:{key} -->" in comment
    assert world.steps()[key].state is StepState.DONE
    assert world.audit() == ["pull_request.commented", "pull_request.opened"]


def test_opening_again_after_a_new_commit_only_pushes_and_refreshes(world: World) -> None:
    world.commit("fix")
    first = world.open()
    second_sha = world.commit("more")

    again = world.open()

    assert again.step.state is StepState.DONE
    assert len(world.host.pulls) == 1
    assert world.host.effects["open_pull"] == 1
    assert len(world.comments.bodies("#7")) == 1
    assert world.git.remotes[URL][BRANCH][-1] == second_sha
    assert again.pull_request is not None
    assert first.pull_request is not None
    assert again.pull_request.id == first.pull_request.id


def test_no_new_commits_is_nothing_to_propose(world: World) -> None:
    with pytest.raises(NothingToPropose, match="nothing to propose"):
        world.open()

    assert not world.host.pulls
    assert BRANCH not in world.git.remotes[URL]


def test_a_rejected_push_is_refused_with_its_reason_and_opens_nothing(world: World) -> None:
    world.commit("fix")
    world.git.remotes[URL][BRANCH] = ["someone-else"]

    with pytest.raises(PushRejected, match="pull first"):
        world.open()

    assert not world.host.pulls
    [step] = world.steps().values()
    assert (step.state, step.last_error) == (
        StepState.FAILED,
        "the remote has commits you do not have: pull first",
    )
    assert "pull_request.step_failed" in world.audit()


def test_no_code_host_is_refused_and_the_step_failed(world: World) -> None:
    world.commit("fix")
    with world.uow as uow:  # the project's only connection is a Jira one now
        connection = uow.trackers.get(world.connection)
        assert connection is not None
        uow.trackers.update(attrs.evolve(connection, provider=Provider.JIRA, key="OPS"))
        uow.commit()

    with pytest.raises(NoCodeHost, match="no GitHub or GitLab connection"):
        world.open()

    [step] = world.steps().values()
    assert step.state is StepState.FAILED
    assert not world.host.pulls


def test_open_needs_the_users_worktree(world: World) -> None:
    with pytest.raises(Conflict, match="start work"):
        world.open(OLGA)  # olga (an owner) has no worktree of her own for the issue


def test_who_may_open(world: World) -> None:
    world.commit("fix")
    with pytest.raises(NotFound):
        world.open(VERA)  # another tenant's owner: the issue does not exist for her
    with pytest.raises(PermissionDenied):
        world.open(VIC, user_email=IVO)  # a viewer
    world.app.create_user()(CreateUserCommand(email="mia@ex.com", name="Mia"))
    world.app.add_member()(AddMemberCommand(tenant="acme", email="mia@ex.com", role="member"))
    with pytest.raises(PermissionDenied):
        world.open("mia@ex.com", user_email=IVO)  # a member, for someone else

    outcome = world.open(OLGA, user_email=IVO)  # an owner, for a member of her tenant

    assert outcome.step.state is StepState.DONE
    assert outcome.step.actor == OLGA


def test_the_cli_opens_for_the_only_user_with_a_worktree(world: World) -> None:
    world.commit("fix")

    outcome = world.open(None)

    assert outcome.step.state is StepState.DONE
    with world.uow as uow:  # olga works on it too
        olga = uow.users.get_by_email(OLGA)
        assert olga is not None
        assert olga.id is not None
        uow.worktrees.add(Worktree(user_id=olga.id, project_id=world.web, issue_id=world.fix,
                                   branch=BRANCH, path="/home/olga/worktrees/web/x",
                                   created_at=world.clock.now()))  # fmt: skip
        uow.commit()
    with pytest.raises(ValidationError, match="user_email"):
        world.open(None)


def test_a_tracker_fault_leaves_the_step_pending_then_the_runner_finishes_it(
    world: World,
) -> None:
    world.commit("fix")
    world.host.fail("open_pull", TrackerUnreachable("connection refused"))

    outcome = world.open()

    assert outcome.step.state is StepState.PENDING
    assert outcome.step.last_error == "connection refused"
    assert outcome.step.next_attempt_at == world.clock.now() + timedelta(seconds=5)
    assert world.run_steps() == 0  # not due yet
    world.clock.advance(seconds=5)
    assert world.run_steps() == 2  # the open, then the comment it queued
    assert len(world.host.pulls) == 1
    assert len(world.comments.bodies("#7")) == 1


def test_lost_answers_never_make_a_second_pull_request_or_comment(world: World) -> None:
    world.commit("fix")
    world.host.lose("open_pull")
    world.comments.lose("add_comment")

    world.open()
    world.clock.advance(seconds=5)
    world.run_steps()
    world.clock.advance(seconds=5)
    world.run_steps()

    assert len(world.host.pulls) == 1
    assert len(world.comments.bodies("#7")) == 1
    assert {s.state for s in world.steps().values()} == {StepState.DONE}


def test_an_auth_failure_fails_the_step_at_once(world: World) -> None:
    world.commit("fix")
    world.host.fail("find_pull", TrackerAuthFailed("the token lacks pull_requests:write"))

    outcome = world.open()

    assert outcome.step.state is StepState.FAILED
    assert outcome.step.last_error == "the token lacks pull_requests:write"
    assert world.audit() == ["pull_request.step_failed"]


def test_a_rate_limit_waits_until_it_resumes(world: World) -> None:
    world.commit("fix")
    resume = world.clock.now() + timedelta(minutes=7)
    world.host.fail("find_pull", TrackerRateLimited("rate limited", resume))

    outcome = world.open()

    assert (outcome.step.state, outcome.step.next_attempt_at) == (StepState.PENDING, resume)


def test_a_step_fails_for_good_after_its_last_attempt(world: World) -> None:
    world.commit("fix")
    world.host.fail("find_pull", TrackerUnreachable("down"), times=10)

    world.open()
    for _ in range(10):
        world.clock.advance(seconds=600)
        world.run_steps()

    [step] = world.steps().values()
    assert (step.state, step.attempts) == (StepState.FAILED, 6)
    assert world.host.calls["find_pull"] == 6


def test_a_claimed_step_is_not_run_by_a_second_runner(world: World) -> None:
    world.commit("fix")
    world.host.fail("open_pull", TrackerUnreachable("down"))
    world.open()
    world.clock.advance(seconds=5)
    [step] = world.steps().values()

    assert world.runner.claim(step) is not None
    assert world.runner.claim(step) is None
    assert world.runner.run(step) is None
    assert world.run_steps() == 0


def test_sync_comments_once_when_the_pull_request_is_merged(world: World) -> None:
    world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None
    world.host.merge(pull.number)

    assert world.sync() == 1
    assert world.sync() == 0  # merged: no longer refreshed
    world.run_steps()

    [listed] = world.list(ListPullRequestsCommand(issue_id=world.fix, actor=world.actor(IVO)))
    assert listed.state is PullState.MERGED
    assert world.comments.bodies("#7")[-1].startswith(f"{pull.url} was merged.")
    assert len(world.comments.bodies("#7")) == 2


def test_changes_requested_queue_a_review_only_with_auto_review(world: World) -> None:
    world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None
    note = ReviewComment(path="src/login.py", line=12, author="rev", body="Use a\n  constant.")
    world.host.request_changes(pull.number, [note], failing=["lint"])

    world.sync()
    assert not [k for k in world.steps() if k.startswith("review:")]

    world.set_project(auto_review_to_agent=True)
    world.host.request_changes(pull.number, [attrs.evolve(note, id="2", line=13)])
    world.sync()
    assert [k for k in world.steps() if k.startswith("review:")] == [f"review:pr:{pull.id}:1"]
    world.sync()  # nothing new: no second review step
    assert len([k for k in world.steps() if k.startswith("review:")]) == 1


def test_review_to_agent_writes_the_block_and_types_the_prompt(world: World) -> None:
    world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None
    note = ReviewComment(path="src/login.py", line=12, author="rev", body="Use a\n  constant.")
    world.host.request_changes(pull.number, [note], failing=["lint"])
    world.sync()

    outcome = world.review(ReviewToAgentCommand(pull_request_id=pull.id or 0,
                                                actor=world.actor(IVO)))  # fmt: skip

    assert outcome.step.state is StepState.DONE
    [cmd] = world.populated
    assert cmd.worktree == str(FIX_TREE)
    assert "- src/login.py:12 — @rev: Use a\n  constant." in (cmd.review or "")
    assert "- lint" in (cmd.review or "")
    assert outcome.pull_request is not None
    [(_, typed)] = world.tmux.typed
    assert typed == review_prompt(outcome.pull_request)
    assert "1 comment(s) and 1 failing check(s)" in typed
    assert "pull_request.review_sent" in world.audit()


def test_review_to_agent_relaunches_an_exited_agent(world: World) -> None:
    world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None
    world.host.request_changes(pull.number, [ReviewComment(path="a", line=1, author="r", body="b")])
    world.sync()
    with world.uow as uow:  # the agent exited: its window is gone, its record ended
        [live] = uow.agent_sessions.list(live=True)
        world.tmux.drop(live.tmux_socket, live.tmux_session, live.tmux_window)
        uow.agent_sessions.update(attrs.evolve(live, status=AgentStatus.EXITED,
                                               ended_at=world.clock.now()))  # fmt: skip
        uow.commit()
    launched = len(world.tmux.launched)

    outcome = world.review(ReviewToAgentCommand(pull_request_id=pull.id or 0))

    assert outcome.step.result is not None
    assert outcome.step.result.startswith("relaunched as session")
    assert len(world.tmux.launched) == launched + 1
    assert world.tmux.launched[-1].cwd == str(FIX_TREE)
    assert world.tmux.launched[-1].argv[0] == "codex"  # the tool of its last session
    [(window, typed)] = world.tmux.typed
    assert window == f"{live.tmux_session}:{live.tmux_window}"
    assert typed.startswith(f"Review of {pull.url}: 1 comment(s)")


def test_review_with_nothing_to_send_is_refused(world: World) -> None:
    world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None

    with pytest.raises(Conflict, match="nothing to send"):
        world.review(ReviewToAgentCommand(pull_request_id=pull.id or 0))
    with pytest.raises(NotFound):
        world.review(ReviewToAgentCommand(pull_request_id=pull.id or 0, actor=world.actor(VERA)))


def test_list_shows_only_what_the_actor_may_see(world: World) -> None:
    world.commit("fix")
    world.open()

    assert len(world.list(ListPullRequestsCommand(actor=world.actor(VIC)))) == 1
    assert world.list(ListPullRequestsCommand(actor=world.actor(VERA))) == []
    with pytest.raises(NotFound):
        world.list(ListPullRequestsCommand(project_id=world.web, actor=world.actor(VERA)))


def test_finished_with_auto_pull_request_queues_the_open_step(world: World) -> None:
    with world.uow as uow:
        [session] = uow.agent_sessions.list(live=True)
        assert queue_after_finished(uow, session, world.clock.now()) is None  # flag off
    world.set_project(auto_pull_request=True)
    with world.uow as uow:
        step = queue_after_finished(uow, session, world.clock.now())
        uow.commit()
    assert step is not None
    assert step.kind is StepKind.OPEN_PULL_REQUEST

    assert world.run_steps() == 1  # no commits: done, not an error
    [done] = world.steps().values()
    assert (done.state, done.result) == (StepState.DONE, NOTHING_TO_PROPOSE)

    world.commit("fix")
    with world.uow as uow:
        queue_after_finished(uow, session, world.clock.now())
        uow.commit()
    assert world.run_steps() == 2
    assert len(world.host.pulls) == 1


def test_an_agent_finishing_its_turn_opens_the_pull_request_when_auto_is_on(world: World) -> None:
    woken: list[bool] = []
    record = RecordAgentEvents(uow=world.uow, tokens=FakeSessionTokens(),
                               linux_users=world.linux_users, clock=world.clock,
                               loop_wakeup=lambda: woken.append(True))  # fmt: skip
    with world.uow as uow:
        [session] = uow.agent_sessions.list(live=True)

    def finished(n: int) -> AgentEventCommand:
        return AgentEventCommand(session_id=session.id or 0, tool=Tool.CODEX,
                                 event="agent-turn-complete", event_id=f"{n:032x}",
                                 sent_at=world.clock.now(),
                                 token=f"token-{session.id}-{session.linux_user}")  # fmt: skip

    assert record([finished(1)]) == [AgentStatus.FINISHED]
    assert (world.steps(), woken) == ({}, [])  # auto_pull_request is off
    world.set_project(auto_pull_request=True)
    world.commit("fix")
    # finished again (each turn counts, even with no other status between)
    assert record([finished(3)]) == [AgentStatus.FINISHED]

    assert woken == [True]
    assert world.run_steps() == 2
    assert len(world.host.pulls) == 1
    assert len(world.comments.bodies("#7")) == 1


def test_a_jira_issue_gets_its_pull_request_on_the_code_host_and_its_comment_on_jira(
    world: World,
) -> None:
    with world.uow as uow:
        jira = uow.trackers.add(
            TrackerConnection(
                project_id=world.web,
                provider=Provider.JIRA,
                base_url="https://acme.atlassian.net",
                key="OPS",
                token_sealed=world.box.seal("j"),
            )
        )
        uow.issues.add_many(
            [Issue(connection_id=jira.id or 0, project_id=world.web, provider=Provider.JIRA,
                   remote=remote(70, number="OPS-7", title="Slow search",
                                 url="https://acme.atlassian.net/browse/OPS-7"))]
        )  # fmt: skip
        uow.commit()
        ops = uow.issues.for_connection(jira.id or 0)["70"].id or 0
    tree = TREES / "aiops-ops-7-slow-search"
    world.files.workspaces.add(tree)
    world.app.launch_session()(
        LaunchSessionCommand(project_id=world.web, tool="claude", user_email=IVO, issue_id=ops)
    )
    world.git.commit(tree, "speed it up")

    outcome = world.open_pr(OpenPullRequestCommand(issue_id=ops, actor=world.actor(IVO)))

    assert outcome.step.state is StepState.DONE
    [pull] = world.host.pulls.values()
    assert (pull.head, pull.title) == ("aiops/ops-7-slow-search", "Slow search (OPS-7)")
    body = world.host.bodies[pull.number]
    assert body.startswith("Issue: https://acme.atlassian.net/browse/OPS-7\n")
    assert "ivo@example.com's claude agent" in body
    [comment] = world.jira_comments.bodies("OPS-7")
    assert comment.startswith(f"aiops opened {pull.url} for this issue.")
    assert world.comments.comments == {}
    assert [t.token for t in world.jira_comments.targets] == ["j", "j"]  # its own token
    assert {t.key for t in world.host.targets} == {"acme/web"}


def test_a_step_that_breaks_is_recorded_and_retried_and_the_error_still_surfaces(
    world: World,
) -> None:
    world.commit("fix")
    world.host.fail("open_pull", TrackerUnreachable("down"))
    world.open()  # pending, due in 5 s
    broken = {"now": True}
    find_pull = world.host.find_pull

    def breaking(target: object, *, head: str) -> object:
        if broken["now"]:
            raise RuntimeError("a bug")
        return find_pull(target, head=head)  # type: ignore[arg-type]

    world.host.find_pull = breaking  # type: ignore[assignment,method-assign]
    world.clock.advance(seconds=5)

    with pytest.raises(RuntimeError, match="a bug"):
        world.run_steps()

    [step] = world.steps().values()
    assert (step.state, step.last_error) == (
        StepState.PENDING, "unexpected RuntimeError (see the server's log)",
    )  # fmt: skip
    broken["now"] = False
    world.clock.advance(seconds=60)
    assert world.run_steps() == 2
    assert len(world.host.pulls) == 1


def test_after_a_merge_only_new_commits_open_a_new_pull_request(world: World) -> None:
    sha = world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None
    world.host.change(pull.number, state=PullState.MERGED, head_sha=sha)
    world.sync()
    world.set_project(auto_pull_request=True)

    with pytest.raises(NothingToPropose, match="merged and the branch has nothing new"):
        world.open()
    with world.uow as uow:  # the agent finishes another turn without a commit
        [session] = uow.agent_sessions.list(live=True)
        queue_after_finished(uow, session, world.clock.now())
        uow.commit()
    world.run_steps()
    assert len(world.host.pulls) == 1
    assert world.steps()[f"open:issue:{world.fix}:user:{pull.user_id}"].result == NOTHING_TO_PROPOSE

    world.commit("follow-up")
    again = world.open()

    assert len(world.host.pulls) == 2
    assert again.pull_request is not None
    assert again.pull_request.number == 2


def test_pushing_again_keeps_the_review_and_asks_no_second_one(world: World) -> None:
    world.set_project(auto_review_to_agent=True)
    world.commit("fix")
    pull = world.open().pull_request
    assert pull is not None
    note = ReviewComment(path="src/login.py", line=12, author="rev", body="Rename.", id="1")
    world.host.request_changes(pull.number, [note])
    world.sync()
    world.run_steps()  # the review goes to the agent
    world.commit("renamed")

    world.open()  # the look-up by branch carries no review: the record keeps its own
    world.sync()

    [listed] = world.list(ListPullRequestsCommand(issue_id=world.fix))
    assert listed.unresolved == (note,)
    assert [k for k in world.steps() if k.startswith("review:")] == [f"review:pr:{pull.id}:1"]


def test_the_steps_of_an_issue_and_the_trouble_it_shows(world: World) -> None:
    world.commit("fix")
    world.comments.fail("add_comment", TrackerUnreachable("tracker down"))
    pull = world.open().pull_request
    assert pull is not None
    steps = ListLoopSteps(uow=world.uow)

    by_issue = steps(ListLoopStepsCommand(issue_id=world.fix, actor=world.actor(IVO)))
    by_pull = steps(ListLoopStepsCommand(pull_request_id=pull.id, actor=world.actor(VIC)))

    assert [s.kind for s in by_issue] == [StepKind.COMMENT, StepKind.OPEN_PULL_REQUEST]
    assert [s.kind for s in by_pull] == [StepKind.COMMENT]
    trouble = step_trouble(by_issue)
    assert trouble is not None
    assert (trouble.state, trouble.last_error) == (StepState.PENDING, "tracker down")
    world.clock.advance(seconds=5)
    world.run_steps()
    assert step_trouble(steps(ListLoopStepsCommand(issue_id=world.fix))) is None
    with pytest.raises(NotFound):
        steps(ListLoopStepsCommand(issue_id=world.fix, actor=world.actor(VERA)))
    with pytest.raises(NotFound):
        steps(ListLoopStepsCommand(pull_request_id=pull.id, actor=world.actor(VERA)))
    with pytest.raises(ValidationError):
        steps(ListLoopStepsCommand())
