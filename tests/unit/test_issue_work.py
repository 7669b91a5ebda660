"""Starting work on an issue against the fakes: the agent launched in the issue's worktree
(made once, its AGENTS.override.md excluded from git and holding aiops's instructions), the
issue in progress and owned by the user, audited; who may start work for whom."""

from __future__ import annotations

import pytest

from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.trackers import TriageStatus
from aiops.domain.model.workspaces import RemoteFailed, UnsafeWorkspace
from aiops.domain.usecases.issue_work import StartIssueWork, StartIssueWorkCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.domain.usecases.worktrees import AddWorktreeCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.unit.test_worktrees import IVO, MAIN, OLGA, TREES, VERA, World

VIKTOR = "viktor@example.com"
FIX_TREE = TREES / "aiops-gh-7-fix-login"


@pytest.fixture
def world() -> World:
    made = World()
    made.app.create_user()(CreateUserCommand(email=VIKTOR, name="Viktor"))
    made.app.add_member()(AddMemberCommand(tenant="acme", email=VIKTOR, role="viewer"))
    return made


def start(world: World, email: str = IVO, **kw: object) -> object:
    use_case = StartIssueWork(uow=world.uow, clock=world.clock, launch=world.app.launch_session())
    cmd = StartIssueWorkCommand(  # type: ignore[arg-type]
        issue_id=kw.pop("issue_id", world.fix), tool=kw.pop("tool", "codex"),
        actor=world.actor(email), **kw,
    )  # fmt: skip
    return use_case(cmd)


def events(world: World, action: str) -> list[tuple[str, dict[str, object]]]:
    with world.uow as uow:
        return [
            (e.actor, dict(e.detail)) for e in uow.audit.list(AuditQuery()) if e.action == action
        ]


def triage(world: World, issue_id: int) -> tuple[TriageStatus, int | None]:
    with world.uow as uow:
        issue = uow.issues.get(issue_id)
        assert issue is not None
        return issue.triage.status, issue.triage.owner_id


def user_id(world: World, email: str) -> int | None:
    return world.actor(email).user_id


def test_work_on_an_issue_launches_the_agent_in_its_worktree_and_puts_the_issue_in_progress(
    world: World,
) -> None:
    started = start(world)

    assert started.created  # type: ignore[attr-defined]
    worktree = started.worktree  # type: ignore[attr-defined]
    assert (worktree.branch, worktree.path) == ("aiops/gh-7-fix-login", str(FIX_TREE))
    assert [w.cwd for w in world.tmux.launched] == [str(FIX_TREE)]
    assert world.git.clones[FIX_TREE].branches["aiops/gh-7-fix-login"] == ["c1"]  # origin/main
    issue = started.issue  # type: ignore[attr-defined]
    assert (issue.triage.status, issue.triage.owner_id) == (
        TriageStatus.IN_PROGRESS,
        user_id(world, IVO),
    )
    assert triage(world, world.fix) == (TriageStatus.IN_PROGRESS, user_id(world, IVO))
    assert triage(world, world.search) == (TriageStatus.NEW, None)
    assert world.worktrees.excluded == {MAIN: ["/AGENTS.override.md"]}
    assert events(world, "issue.work_started") == [
        (
            IVO,
            {
                "user": IVO,
                "tool": "codex",
                "branch": "aiops/gh-7-fix-login",
                "session": str(started.session.id),  # type: ignore[attr-defined]
            },
        )
    ]


def test_the_worktrees_agents_file_tells_the_agent_its_branch_and_how_to_commit(
    world: World,
) -> None:
    start(world)

    text = world.files.files[FIX_TREE / "AGENTS.override.md"]
    assert "## How to work on this issue" in text
    assert "Work on the branch `aiops/gh-7-fix-login`" in text
    assert "e.g. `Fix the login redirect (#7)`" in text
    assert "Do not push" in text
    assert text.index("## How to work on this issue") < text.index("## Issue text from the tracker")


def test_working_on_it_again_focuses_the_agent_in_the_same_worktree(world: World) -> None:
    first = start(world)
    again = start(world)

    assert not again.created  # type: ignore[attr-defined]
    assert again.worktree == first.worktree  # type: ignore[attr-defined]
    assert again.session.id == first.session.id  # type: ignore[attr-defined]
    with world.uow as uow:
        assert len(uow.worktrees.list()) == 1
    assert len(events(world, "issue.work_started")) == 2
    assert world.worktrees.excluded == {MAIN: ["/AGENTS.override.md"]}  # once, however often


def test_a_worktree_made_before_the_exclusion_gets_it_when_reused(world: World) -> None:
    world.app.add_worktree()(
        AddWorktreeCommand(project_id=world.web, issue_id=world.fix, actor=world.actor(IVO))
    )
    world.worktrees.excluded.clear()  # as a worktree of an older aiops

    start(world)

    assert world.worktrees.excluded == {MAIN: ["/AGENTS.override.md"]}


def test_an_exclusion_refused_leaves_no_worktree_session_or_triage(world: World) -> None:
    world.worktrees.unsafe_exclude = True

    with pytest.raises(UnsafeWorkspace, match="symbolic link"):
        start(world)

    assert FIX_TREE not in world.git.clones
    with world.uow as uow:
        assert uow.worktrees.list() == []
    assert world.tmux.launched == []
    assert triage(world, world.fix) == (TriageStatus.NEW, None)


def test_an_owner_starts_work_for_a_member_of_her_tenant_and_is_audited_as_herself(
    world: World,
) -> None:
    started = start(world, OLGA, user_email=IVO)

    assert started.session.user_id == user_id(world, IVO)  # type: ignore[attr-defined]
    assert started.session.linux_user == "ivan"  # type: ignore[attr-defined]
    assert triage(world, world.fix) == (TriageStatus.IN_PROGRESS, user_id(world, IVO))
    assert [actor for actor, _ in events(world, "issue.work_started")] == [OLGA]
    assert [actor for actor, _ in events(world, "session.launched")] == [OLGA]


@pytest.mark.parametrize(
    ("email", "kw", "error"),
    [
        (IVO, {"user_email": OLGA}, PermissionDenied),  # a member, for someone else
        (VIKTOR, {}, PermissionDenied),  # a viewer
        (VIKTOR, {"user_email": IVO}, PermissionDenied),
        (VERA, {}, NotFound),  # another tenant's issue does not exist for her
        (VERA, {"user_email": IVO}, NotFound),
        (IVO, {"issue_id": 999}, NotFound),
        (IVO, {"tool": "notepad"}, ValidationError),
        (OLGA, {"user_email": VERA}, NotFound),  # not a member of the issue's tenant
    ],
)
def test_refusals_launch_nothing_and_leave_the_triage(
    world: World, email: str, kw: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        start(world, email, **kw)

    assert world.tmux.launched == []
    assert triage(world, world.fix) == (TriageStatus.NEW, None)
    assert events(world, "issue.work_started") == []


def test_a_launch_that_fails_leaves_the_triage_as_it_was(world: World) -> None:
    world.git.unreachable.add("/srv/git/web.git")  # the clone of the workspace fails

    with pytest.raises(RemoteFailed, match="cannot reach"):
        start(world)

    assert triage(world, world.fix) == (TriageStatus.NEW, None)
    assert events(world, "issue.work_started") == []
