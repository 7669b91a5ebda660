"""Worktree use cases against the fakes: add on a branch or an issue's branch, list with
status, remove refusing lost work, and sessions of two issues in two trees at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path, PurePosixPath

import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.trackers import Issue, IssueState, Provider
from aiops.domain.model.workspaces import BranchExists, WorkspacePolicy
from aiops.domain.model.worktrees import WorktreeDirty, WorktreeExists, WorktreeMissing
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
from aiops.domain.usecases.worktrees import (
    AddWorktreeCommand,
    ListWorktreesCommand,
    RemoveWorktreeCommand,
)
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import (
    FakeAgentContextFiles,
    FakeClock,
    FakeGitWorkspaces,
    FakeGitWorktrees,
    FakeLinuxUsers,
    FakeSecretBox,
    FakeTmuxSessions,
    FakeUnitOfWork,
)
from tests.fakes.agent_status import FakeAgentHooks
from tests.integration.test_tracker_repositories import remote

URL = "/srv/git/web.git"
IVO, VERA, OLGA = "ivo@example.com", "vera@example.com", "olga@example.com"
MAIN = Path("/home/ivan/workspace/web")
TREES = Path("/home/ivan/worktrees/web")


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.git = FakeGitWorkspaces({URL: {"main": ["c1"], "feature": ["c1", "f1"]}})
        self.worktrees = FakeGitWorktrees(self.git)
        self.tmux = FakeTmuxSessions(self.clock)
        self.files = FakeAgentContextFiles(
            MAIN, TREES / "aiops-gh-7-fix-login", TREES / "aiops-gh-8-slow-search"
        )
        app: Container = bootstrap(
            workspace_policy=WorkspacePolicy(
                root=PurePosixPath("/home"),
                linux_user_mapping={IVO: "ivan", VERA: "vera", OLGA: "olga"},
            ),
            uow=self.uow,
            clock=self.clock,
            git_workspaces=self.git,
            git_worktrees=self.worktrees,
            linux_users=FakeLinuxUsers("ivan", "vera", "olga"),
            secret_box=FakeSecretBox(),
            tmux_sessions=self.tmux,
            agent_hooks=FakeAgentHooks(),
            agent_context_files=self.files,
            mirror_credentials=lambda user_id, tool, account: {},
        )
        self.app = app
        app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        app.create_tenant()(CreateTenantCommand(slug="other", name="Other"))
        web = app.create_project()(
            CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=URL)
        )
        self.web = web.id or 0
        app.create_user()(CreateUserCommand(email=IVO, name="Ivo"))
        app.add_member()(AddMemberCommand(tenant="acme", email=IVO, role="member"))
        app.create_user()(CreateUserCommand(email=VERA, name="Vera"))
        app.add_member()(AddMemberCommand(tenant="other", email=VERA, role="owner"))
        app.create_user()(CreateUserCommand(email=OLGA, name="Olga"))
        app.add_member()(AddMemberCommand(tenant="acme", email=OLGA, role="owner"))
        connection = app.add_tracker()(
            AddTrackerCommand(project_id=self.web, provider="github",
                              base_url="https://api.github.com", key="acme/web", token="t")
        )  # fmt: skip
        self.fix, self.search = self._issues(connection.id or 0)

    def _issues(self, connection_id: int) -> tuple[int, int]:
        with self.uow as uow:
            uow.issues.add_many(
                [
                    Issue(connection_id=connection_id, project_id=self.web,
                          provider=Provider.GITHUB,
                          remote=remote(n, title=title, state=IssueState.OPEN))
                    for n, title in ((7, "Fix login"), (8, "Slow search"))
                ]
            )  # fmt: skip
            uow.commit()
            found = uow.issues.for_connection(connection_id)
        return found["7"].id or 0, found["8"].id or 0

    def actor(self, email: str) -> Actor:
        with self.uow as uow:
            user = uow.users.get_by_email(email)
            assert user is not None
            return actor_for(uow, user)

    def add(self, email: str = IVO, **kw: object) -> object:
        cmd = AddWorktreeCommand(project_id=self.web, actor=self.actor(email), **kw)  # type: ignore[arg-type]
        return self.app.add_worktree()(cmd)

    def git_tree(self, path: Path) -> WorkTree:
        return WorkTree(path, None)

    def audit(self) -> list[str]:
        with self.uow as uow:
            return [e.action for e in uow.audit.list(AuditQuery()) if "worktree" in e.action]


@pytest.fixture
def world() -> World:
    return World()


def test_add_on_a_branch_makes_the_workspace_first_then_the_worktree(world: World) -> None:
    made = world.add(branch="spike", from_ref="origin/feature")

    assert made.created  # type: ignore[attr-defined]
    worktree = made.worktree  # type: ignore[attr-defined]
    assert (worktree.branch, worktree.path) == ("spike", str(TREES / "spike"))
    assert world.git.clones[MAIN].current == "main"  # the main workspace is left as it was
    assert world.git.clones[TREES / "spike"].branches["spike"] == ["c1", "f1"]
    assert world.git.acted_as[TREES / "spike"] == {"ivan"}
    assert world.audit() == ["worktree.added"]


def test_add_hands_git_the_projects_credentials_for_a_partial_clones_blobs(world: World) -> None:
    world.app.update_project()(
        UpdateProjectCommand(project_id=world.web, https_token="ghp_w0rktree")
    )

    world.add(branch="spike", from_ref="origin/feature")

    # the clone, then the worktree: each with the project's URL and its opened token
    assert [(a.url, a.https_token) for a in world.git.accesses] == [(URL, "ghp_w0rktree")] * 2


def test_an_issue_gets_its_branch_from_its_key_and_title_once(world: World) -> None:
    first = world.add(issue_id=world.fix)
    again = world.add(issue_id=world.fix)

    assert first.worktree.branch == "aiops/gh-7-fix-login"  # type: ignore[attr-defined]
    assert first.worktree.issue_id == world.fix  # type: ignore[attr-defined]
    assert first.worktree.path == str(TREES / "aiops-gh-7-fix-login")  # type: ignore[attr-defined]
    assert (first.created, again.created) == (True, False)  # type: ignore[attr-defined]
    assert again.worktree == first.worktree  # type: ignore[attr-defined]
    assert world.git.clones[TREES / "aiops-gh-7-fix-login"].branches == {
        "aiops/gh-7-fix-login": ["c1"]  # from origin/main, the project's default branch
    }


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({}, ValidationError),
        ({"branch": "a", "issue_id": 1}, ValidationError),
        ({"branch": "-rf"}, ValidationError),
        ({"branch": "x", "from_ref": "--upload-pack=evil"}, ValidationError),
        ({"issue_id": 999}, NotFound),
        ({"branch": "main", "from_ref": "origin/main"}, BranchExists),
    ],
)
def test_refusals_leave_nothing_behind(world: World, kw: dict[str, object], error: type) -> None:
    world.add(branch="keep")
    before = set(world.git.clones)

    with pytest.raises(error):
        world.add(**kw)

    assert set(world.git.clones) == before
    assert world.audit() == ["worktree.added"]


def test_nobody_adds_in_a_project_they_may_not_use(world: World) -> None:
    with pytest.raises(NotFound):
        world.add(VERA, branch="x")  # another tenant's project does not exist for her
    with pytest.raises(PermissionDenied):
        world.add(OLGA, branch="x", user_email=IVO)  # an owner acts as herself only


def test_list_shows_status_and_only_what_the_actor_may_see(world: World) -> None:
    world.add(branch="spike")
    world.git.clones[TREES / "spike"].untracked.add("notes.txt")
    world.git.commit(TREES / "spike", "Try")
    mine = world.app.list_worktrees()(
        ListWorktreesCommand(project_id=world.web, actor=world.actor(IVO))
    )
    assert [(v.worktree.branch, v.user_email) for v in mine] == [("spike", IVO)]
    assert mine[0].status is not None and mine[0].status.untracked == 1  # noqa: PT018
    assert mine[0].unpushed == 1
    managed = world.app.list_worktrees()(ListWorktreesCommand(actor=world.actor(OLGA)))
    assert [v.worktree.branch for v in managed] == ["spike"]  # she owns the tenant
    assert world.app.list_worktrees()(ListWorktreesCommand(actor=world.actor(VERA))) == []
    with pytest.raises(NotFound):
        world.app.list_worktrees()(
            ListWorktreesCommand(project_id=world.web, actor=world.actor(VERA))
        )


def test_remove_refuses_uncommitted_and_unpushed_work_naming_it_unless_forced(
    world: World,
) -> None:
    made = world.add(branch="spike")
    wid = made.worktree.id  # type: ignore[attr-defined]
    clone = world.git.clones[TREES / "spike"]
    clone.dirty.add("app.py")
    sha = world.git.commit(TREES / "spike", "Try")
    remove = world.app.remove_worktree()

    with pytest.raises(WorktreeDirty) as refused:
        remove(RemoveWorktreeCommand(worktree_id=wid, actor=world.actor(IVO)))

    assert refused.value.files == ("app.py",)
    assert refused.value.commits == (sha,)
    assert "app.py" in refused.value.message
    assert sha in refused.value.message
    assert TREES / "spike" in world.git.clones
    remove(RemoveWorktreeCommand(worktree_id=wid, force=True, actor=world.actor(IVO)))
    assert TREES / "spike" not in world.git.clones
    assert world.git.clones[MAIN].branches["spike"] == ["c1", sha]  # the branch is kept
    assert sorted(world.audit()) == ["worktree.added", "worktree.removed"]
    with pytest.raises(WorktreeMissing):
        remove(RemoveWorktreeCommand(worktree_id=wid, actor=world.actor(IVO)))


def test_a_clean_worktree_is_removed_without_force(world: World) -> None:
    made = world.add(branch="spike")
    world.app.remove_worktree()(
        RemoveWorktreeCommand(worktree_id=made.worktree.id, actor=world.actor(IVO))  # type: ignore[attr-defined]
    )
    assert world.worktrees.removed == [(TREES / "spike", False)]


def test_another_users_or_another_projects_worktree_is_not_found(world: World) -> None:
    made = world.add(branch="spike")
    wid = made.worktree.id  # type: ignore[attr-defined]
    with pytest.raises(WorktreeMissing):
        world.app.remove_worktree()(RemoveWorktreeCommand(worktree_id=wid, actor=world.actor(VERA)))
    with pytest.raises(WorktreeMissing):
        world.app.remove_worktree()(
            RemoveWorktreeCommand(
                worktree_id=wid, project_id=world.web + 99, actor=world.actor(IVO)
            )
        )
    assert TREES / "spike" in world.git.clones


def test_a_second_branch_whose_folder_is_taken_is_refused(world: World) -> None:
    world.add(branch="a/b")
    with pytest.raises(WorktreeExists, match="'a/b'"):
        world.add(branch="a-b")


def test_two_agents_on_two_issues_of_one_project_work_in_two_trees_at_once(
    world: World,
) -> None:
    launch = world.app.launch_session()
    fix = launch(
        LaunchSessionCommand(
            project_id=world.web, tool="codex", issue_id=world.fix, actor=world.actor(IVO)
        )
    )
    search = launch(
        LaunchSessionCommand(
            project_id=world.web, tool="claude", issue_id=world.search, actor=world.actor(IVO)
        )
    )
    plain = launch(LaunchSessionCommand(project_id=world.web, tool="shell", actor=world.actor(IVO)))

    assert fix.created and search.created and plain.created  # noqa: PT018
    cwds = [w.cwd for w in world.tmux.launched]
    assert cwds == [
        str(TREES / "aiops-gh-7-fix-login"),
        str(TREES / "aiops-gh-8-slow-search"),
        str(MAIN),
    ]
    assert len({w.window for w in world.tmux.launched}) == 3  # all three run at once
    assert set(world.files.files) == {
        TREES / "aiops-gh-7-fix-login" / "AGENTS.override.md",
        TREES / "aiops-gh-8-slow-search" / "AGENTS.override.md",
    }
    assert "Fix login" in world.files.files[TREES / "aiops-gh-7-fix-login" / "AGENTS.override.md"]
    assert world.git.clones[MAIN].current == "main"

    again = launch(
        LaunchSessionCommand(
            project_id=world.web, tool="codex", issue_id=world.fix, actor=world.actor(IVO)
        )
    )
    assert not again.created  # the same window, in the same worktree (made once)
    with world.uow as uow:
        assert len(uow.worktrees.list()) == 2


def test_the_tmux_resync_recreates_an_issue_window_in_its_worktree(world: World) -> None:
    launched = world.app.launch_session()(
        LaunchSessionCommand(
            project_id=world.web, tool="codex", issue_id=world.fix, actor=world.actor(IVO)
        )
    ).session
    world.tmux.drop(world.tmux.launched[0].socket, launched.tmux_session)

    done = world.app.resync_tmux()()

    assert done.recreated == (launched.target,)
    assert [w.cwd for w in world.tmux.launched] == [str(TREES / "aiops-gh-7-fix-login")] * 2
    with world.uow as uow:
        assert len(uow.worktrees.list()) == 1  # the same worktree, not a second one


def test_the_snapshot_refresh_reads_each_worktree_and_operations_keep_them(
    world: World,
) -> None:
    world.add(branch="spike")
    world.add(issue_id=world.fix)
    world.git.clones[TREES / "spike"].dirty.add("app.py")
    world.git.commit(TREES / "spike", "Try")
    ref = WorkspaceRef(project_id=world.web, actor=world.actor(IVO))

    snapshot = world.app.refresh_snapshot()(ref)

    assert snapshot is not None
    states = {w.branch: w for w in snapshot.worktrees}
    assert set(states) == {"spike", "aiops/gh-7-fix-login"}
    spike = states["spike"]
    assert spike.path == str(TREES / "spike")
    assert spike.status is not None
    assert (spike.status.unstaged, spike.unpushed) == (1, 1)
    assert states["aiops/gh-7-fix-login"].status is not None
    del world.git.clones[TREES / "spike"]  # its folder went behind aiops's back
    assert "spike" in {
        w.branch
        for w in world.app.refresh_snapshot()(ref).worktrees
        if w.error  # type: ignore[union-attr]
    }
    world.app.operate_workspace()(
        OperateCommand(project_id=world.web, actor=world.actor(IVO), operation=GitOperation.FETCH)
    )
    kept = world.app.read_snapshots()(world.actor(IVO).user_id or 0, [world.web], timedelta(1))
    assert len(kept.snapshots[world.web].worktrees) == 2


def test_a_worktree_whose_folder_went_is_made_again_on_its_branch(world: World) -> None:
    first = world.add(issue_id=world.fix)
    tree = TREES / "aiops-gh-7-fix-login"
    sha = world.git.commit(tree, "Work")
    world.worktrees.remove(world.git_tree(MAIN), world.git_tree(tree), force=True)

    again = world.add(issue_id=world.fix)

    assert again.worktree == first.worktree  # type: ignore[attr-defined]
    assert world.git.clones[tree].branches["aiops/gh-7-fix-login"] == ["c1", sha]
