"""Looking issues up, editing a workspace's AGENTS.override.md, and populating it from an issue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest
from dependency_injector import providers

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.agent_context import END, START, IssueContext
from aiops.domain.model.tenants import Role
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue, Triage
from aiops.domain.model.workspaces import RemoteAccess, WorkspaceMissing
from aiops.domain.usecases.agent_context import (
    ContextAction,
    EditCommand,
    LookUpCommand,
    PopulateCommand,
)
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.ports.git_workspaces import WorkTree
from tests.fakes import (
    FakeAgentContextFiles,
    FakeClock,
    FakeGitWorkspaces,
    FakeLinuxUsers,
    FakeUnitOfWork,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REPO = "https://git.example.com/acme/web.git"
ALICE_WEB = Path("/home/alice/workspace/web")
FILE = ALICE_WEB / "AGENTS.override.md"


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.files = FakeAgentContextFiles(ALICE_WEB)
        self.git = FakeGitWorkspaces({REPO: {"main": ["c1"]}})
        self.app: Container = bootstrap(
            uow=self.uow,
            clock=FakeClock(),
            agent_context_files=self.files,
            git_workspaces=self.git,
            linux_users=FakeLinuxUsers("alice", "al"),
        )
        self.ids: dict[str, int] = {}
        for slug in ("acme", "globex"):
            tenant = self.app.create_tenant()(CreateTenantCommand(slug=slug, name=slug))
            project = self.app.create_project()(
                CreateProjectCommand(tenant=slug, slug="web", name="Web", repo_url=REPO)
                if slug == "acme"
                else CreateProjectCommand(tenant=slug, slug="web", name="Web")
            )
            self.ids[slug] = tenant.id or 0
            self.ids[f"{slug}/web"] = project.id or 0
        alice = self.app.create_user()(
            CreateUserCommand(
                email="alice@example.com", name="Alice", username="alice", linux_username="alice"
            )
        )
        self.alice_id = alice.id or 0
        self.app.add_member()(
            AddMemberCommand(tenant="acme", email="alice@example.com", role="member")
        )
        with self.uow:
            self.uow.issues.add_many(
                [self.issue("acme/web", "#12", "Disk full"), self.issue("globex/web", "#9", "X")]
            )
            self.uow.commit()
        self.git.clone(REPO, WorkTree(ALICE_WEB), branch="main", access=RemoteAccess())

    def issue(self, project: str, number: str, title: str) -> Issue:
        remote = RemoteIssue(
            external_id=number,
            number=number,
            title=title,
            body="The secret body",
            state=IssueState.OPEN,
            labels=("incident",),
            url=f"https://github.com/acme/web/issues/{number[1:]}",
            created_at=T0,
            updated_at=T0,
        )
        return Issue(
            connection_id=1,
            project_id=self.ids[project],
            provider=Provider.GITHUB,
            remote=remote,
            triage=Triage(note="check db-1"),
        )

    def issue_id(self, number: str) -> int:
        found = [i.id for i in self.uow.committed.issues.values() if i.remote.number == number]
        return found[0] or 0

    def alice(self, role: Role | None = Role.MEMBER, tenant: str = "acme") -> Actor:
        roles = {self.ids[tenant]: role} if role else {}
        return Actor("alice@example.com", user_id=self.alice_id, roles=roles)


@pytest.fixture
def world() -> World:
    return World()


def test_look_up_finds_an_issue_by_its_aiops_id(world: World) -> None:
    found = world.app.look_up_issue()(LookUpCommand(issue=str(world.issue_id("#12"))))

    assert found is not None
    assert (found.title, found.key, found.note) == ("Disk full", "#12", "check db-1")


def test_look_up_finds_a_tracker_number_within_the_workspace_project(world: World) -> None:
    by_number = world.app.look_up_issue()(LookUpCommand(issue="#12", workspace=ALICE_WEB))
    other = world.app.look_up_issue()(LookUpCommand(issue="#9", workspace=ALICE_WEB))
    elsewhere = world.app.look_up_issue()(
        LookUpCommand(issue="#12", workspace=Path("/srv/elsewhere"))
    )

    assert by_number is not None
    assert (by_number.id, by_number.provider) == ("#12", "github")
    assert other is None  # globex's #9 is not in this workspace's project
    assert elsewhere is None


def test_look_up_hides_issues_of_tenants_the_actor_is_not_in(world: World) -> None:
    issue = str(world.issue_id("#9"))

    assert world.app.look_up_issue()(LookUpCommand(issue=issue, actor=world.alice())) is None


def test_edit_writes_appends_and_clears_keeping_the_users_text(world: World) -> None:
    world.files.files[FILE] = "# My rules\n"
    edit = world.app.edit_agent_context()

    edit(
        EditCommand(
            workspace=ALICE_WEB,
            action=ContextAction.WRITE,
            context=IssueContext(id="OPS-7", title="Fix it"),
            notes="first",
        )
    )
    edit(EditCommand(workspace=ALICE_WEB, action=ContextAction.APPEND, notes="second"))
    appended = world.files.files[FILE]
    result = edit(EditCommand(workspace=ALICE_WEB, action=ContextAction.CLEAR))

    assert appended.index("first") < appended.index("second")
    assert world.files.files[FILE] == f"# My rules\n\n{START}\n{END}\n"
    assert result.changed


def test_edit_refuses_bad_input_before_touching_a_file(world: World) -> None:
    edit = world.app.edit_agent_context()

    with pytest.raises(ValidationError, match="nothing to append"):
        edit(EditCommand(workspace=ALICE_WEB, action=ContextAction.APPEND, notes="\n"))
    with pytest.raises(WorkspaceMissing, match="is not a git workspace"):
        edit(EditCommand(workspace=Path("/nowhere"), action=ContextAction.CLEAR))
    cleared = edit(EditCommand(workspace=ALICE_WEB, action=ContextAction.CLEAR))

    assert not cleared.changed
    assert world.files.writes == 0


def test_edit_from_the_command_line_acts_as_the_account_aiops_runs_as(world: World) -> None:
    edit = world.app.edit_agent_context()

    edit(EditCommand(workspace=ALICE_WEB, action=ContextAction.APPEND, notes="x"))

    assert world.files.written_as == {FILE: None}


def test_populate_finds_the_account_and_workspace_by_the_mapping_of_the_users_email(
    world: World,
) -> None:
    policy = world.app.workspace_policy()
    mapped = attrs.evolve(policy, linux_user_mapping={"alice@example.com": "al"})
    world.app.workspace_policy.override(providers.Object(mapped))
    theirs = Path("/home/al/workspace/web")
    world.files.workspaces.add(theirs)

    result = world.app.populate_agent_context()(
        PopulateCommand(issue_id=world.issue_id("#12"), actor=world.alice())
    )

    assert result.path == str(theirs / "AGENTS.override.md")
    assert world.files.written_as == {theirs / "AGENTS.override.md": "al"}


def test_populate_writes_the_issue_into_the_users_workspace_and_audits_it(world: World) -> None:
    issue_id = world.issue_id("#12")

    result = world.app.populate_agent_context()(
        PopulateCommand(issue_id=issue_id, notes="start with df", actor=world.alice())
    )

    text = world.files.files[FILE]
    assert result.path == str(FILE)
    assert world.files.written_as == {FILE: "alice"}  # as her Linux account
    assert "# Issue #12" not in text  # the aiops id heads the block
    assert f"# Issue {issue_id}\n" in text
    assert "Title: Disk full\n" in text
    assert "Tracker: github #12" in text
    assert "The secret body" in text
    assert "start with df" in text
    (event,) = [e for e in world.uow.committed.audit if e.action == "agent_context.written"]
    assert event.target == f"issue:{issue_id}"
    assert "The secret body" not in repr(event)


def test_populate_writes_into_the_workspace_of_the_mapped_account(world: World) -> None:
    """AIOPS_LINUX_USER_MAPPING wins over the user's linux_username: the workspace folder is
    named after the mapped account, as everywhere else."""
    mapped = Path("/home/alison/workspace/web")
    policy = attrs.evolve(
        world.app.workspace_policy(), linux_user_mapping={"alice@example.com": "alison"}
    )
    world.app.workspace_policy.override(providers.Object(policy))
    with world.uow as uow:
        alice = uow.users.get(world.alice_id)
        assert alice is not None
        uow.users.update(attrs.evolve(alice, linux_username="alice_own"))
        uow.commit()
    world.files.workspaces.add(mapped)

    result = world.app.populate_agent_context()(
        PopulateCommand(issue_id=world.issue_id("#12"), actor=world.alice())
    )

    assert result.path == str(mapped / "AGENTS.override.md")
    assert FILE not in world.files.files


def test_populate_refuses_other_tenants_viewers_and_missing_workspaces(world: World) -> None:
    populate = world.app.populate_agent_context()

    with pytest.raises(NotFound):
        populate(PopulateCommand(issue_id=world.issue_id("#9"), actor=world.alice()))
    with pytest.raises(PermissionDenied):
        populate(PopulateCommand(issue_id=world.issue_id("#12"), actor=world.alice(Role.VIEWER)))
    world.files.workspaces.clear()
    with pytest.raises(WorkspaceMissing, match="initialise the workspace first"):
        populate(PopulateCommand(issue_id=world.issue_id("#12"), actor=world.alice()))
    assert world.files.writes == 0
