"""Workspace use cases against the in-memory git and Linux-user fakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from dependency_injector import providers

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import (
    AccountRefused,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from aiops.domain.model.access import Actor
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.projects import CloneFilter
from aiops.domain.model.workspaces import (
    CloneShape,
    MergeConflict,
    MergeKind,
    PushRejected,
    RemoteAccess,
    RemoteFailed,
    UnsafeWorkspace,
    WorkspaceExists,
    WorkspaceMissing,
    WorkspaceState,
)
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
from aiops.ports.git_workspaces import WorkTree
from tests.fakes import (
    FakeClock,
    FakeGitWorkspaces,
    FakeLinuxUsers,
    FakeSecretBox,
    FakeUnitOfWork,
)

URL = "/srv/git/web.git"
PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE5/AlMjRYvWYu24XMVekWVcYP8J9jEeMODxbYLAcJlT me@host"
)
WEB, BARE = 3, 5  # the fake numbers entities and audit events from one sequence
IVO = "ivo@example.com"


@pytest.fixture
def git() -> FakeGitWorkspaces:
    return FakeGitWorkspaces({URL: {"main": ["c1", "c2"], "dev": ["c1", "d1"]}})


@pytest.fixture
def linux_users() -> FakeLinuxUsers:
    return FakeLinuxUsers("ivan")


@pytest.fixture
def app(
    uow: FakeUnitOfWork,
    clock: FakeClock,
    git: FakeGitWorkspaces,
    linux_users: FakeLinuxUsers,
    secret_box: FakeSecretBox,
) -> Container:
    app = bootstrap(
        uow=uow, clock=clock, git_workspaces=git, linux_users=linux_users, secret_box=secret_box
    )
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    web = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=URL)
    )
    bare = app.create_project()(CreateProjectCommand(tenant="acme", slug="bare", name="Bare"))
    assert (web.id, bare.id) == (WEB, BARE)
    for email, role in ((IVO, "member"), ("vera@example.com", "viewer")):
        app.create_user()(CreateUserCommand(email=email, name=email.split("@")[0]))
        app.add_member()(AddMemberCommand(tenant="acme", email=email, role=role))
    return app


def actor(uow: FakeUnitOfWork, email: str) -> Actor:
    with uow:
        user = uow.users.get_by_email(email)
        assert user is not None
        return actor_for(uow, user)


def ref(uow: FakeUnitOfWork, email: str = IVO, project_id: int = WEB, **kw: str) -> WorkspaceRef:
    return WorkspaceRef(project_id=project_id, actor=actor(uow, email), **kw)


def op(uow: FakeUnitOfWork, operation: str, branch: str | None = None, **kw: str) -> OperateCommand:
    return OperateCommand(
        project_id=WEB,
        actor=actor(uow, IVO),
        operation=GitOperation(operation),
        branch=branch,
        **kw,
    )


WORKSPACE = Path("/home/ivo/workspace/web")


def test_init_clones_into_the_users_workspace_and_reports_it(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    result = app.init_workspace()(ref(uow))

    assert result.created
    assert result.path == str(WORKSPACE)
    assert git.clones[WORKSPACE].branches == {"main": ["c1", "c2"]}
    assert result.status.branch == "main"
    assert result.status.last_commit is not None
    assert result.status.last_commit.sha == "c2"
    assert uow.committed.audit[-1].action == "workspace.initialized"
    assert uow.committed.audit[-1].detail["user"] == IVO


def test_init_clones_as_the_projects_clone_settings_say(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    assert app.init_workspace()(ref(uow)).created
    app.update_project()(
        UpdateProjectCommand(project_id=WEB, clone_filter="blob:none", clone_depth=1)
    )

    first = git.shapes[WORKSPACE]
    app.create_user()(CreateUserCommand(email="ada@example.com", name="ada"))
    app.add_member()(AddMemberCommand(tenant="acme", email="ada@example.com", role="member"))
    app.init_workspace()(ref(uow, "ada@example.com"))

    assert first == CloneShape()
    assert git.shapes[Path("/home/ada/workspace/web")] == CloneShape(
        filter=CloneFilter.BLOB_NONE, depth=1
    )
    assert git.clones[Path("/home/ada/workspace/web")].branches == {"main": ["c2"]}
    assert git.clones[WORKSPACE].branches == {"main": ["c1", "c2"]}  # existing ones stay


def test_init_twice_reports_the_healthy_clone_without_recloning(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.commit(WORKSPACE, "local")
    events = len(uow.committed.audit)

    again = app.init_workspace()(ref(uow))

    assert not again.created
    assert git.clones[WORKSPACE].branches["main"][-1].startswith("local")
    assert again.status.ahead == 1
    assert len(uow.committed.audit) == events


def test_init_refuses_a_folder_holding_another_repository(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    git.remotes["/srv/git/other.git"] = {"main": ["x"]}
    git.clone("/srv/git/other.git", WorkTree(WORKSPACE), branch="main", access=RemoteAccess())

    with pytest.raises(WorkspaceExists, match=r"is a clone of /srv/git/other\.git"):
        app.init_workspace()(ref(uow))

    assert git.clones[WORKSPACE].origin == "/srv/git/other.git"


def test_git_runs_as_the_mapped_linux_account_in_its_folder(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.create_user()(
        CreateUserCommand(email="ivan@example.com", name="Ivan", linux_username="ivan")
    )
    app.add_member()(AddMemberCommand(tenant="acme", email="ivan@example.com", role="owner"))
    ivan = ref(uow, "ivan@example.com")

    result = app.init_workspace()(ivan)
    app.operate_workspace()(
        OperateCommand(project_id=WEB, actor=ivan.actor, operation=GitOperation.FETCH)
    )
    app.refresh_snapshot()(ivan)

    assert result.path == "/home/ivan/workspace/web"
    assert git.acted_as == {Path("/home/ivan/workspace/web"): {"ivan"}}


def test_the_mapping_wins_over_the_users_linux_username_for_the_workspace(
    app: Container, uow: FakeUnitOfWork, linux_users: FakeLinuxUsers, git: FakeGitWorkspaces
) -> None:
    mapped = attrs.evolve(app.workspace_policy(), linux_user_mapping={IVO: "ivan"})
    app.workspace_policy.override(providers.Object(mapped))
    with uow:
        ivo = uow.users.get_by_email(IVO)
        assert ivo is not None
        uow.users.update(attrs.evolve(ivo, linux_username="ivo_own"))
        uow.commit()
    linux_users.add("ivo_own", 1500)

    result = app.init_workspace()(ref(uow))

    assert result.path == "/home/ivan/workspace/web"
    assert git.acted_as == {Path(result.path): {"ivan"}}


def test_a_system_account_gets_no_workspace_nothing_is_cloned(
    app: Container, uow: FakeUnitOfWork, linux_users: FakeLinuxUsers, git: FakeGitWorkspaces
) -> None:
    direct = attrs.evolve(app.workspace_policy(), linux_user_strategy="direct")
    app.workspace_policy.override(providers.Object(direct))
    linux_users.add("postgres", 114)
    app.create_user()(CreateUserCommand(email="postgres@example.com", name="Postgres"))
    app.add_member()(AddMemberCommand(tenant="acme", email="postgres@example.com", role="member"))

    with pytest.raises(AccountRefused, match=r"postgres is a system account \(uid 114"):
        app.init_workspace()(ref(uow, "postgres@example.com"))

    assert git.clones == {}
    assert git.acted_as == {}


@pytest.mark.parametrize("linux_username", [None, "gone"])
def test_without_a_linux_account_git_runs_as_aiops_in_the_users_folder(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces, linux_username: str | None
) -> None:
    app.create_user()(
        CreateUserCommand(email="ina@example.com", name="Ina", linux_username=linux_username)
    )
    app.add_member()(AddMemberCommand(tenant="acme", email="ina@example.com", role="member"))

    result = app.init_workspace()(ref(uow, "ina@example.com"))

    folder = linux_username or "ina"
    assert result.path == f"/home/{folder}/workspace/web"
    assert git.acted_as == {Path(result.path): {None}}


def test_an_unsafe_workspace_is_refused_on_the_card_and_not_fetched_by_the_job(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.unsafe.add(WORKSPACE)

    with pytest.raises(UnsafeWorkspace, match="symbolic link"):
        app.operate_workspace()(op(uow, "pull"))
    snapshot = app.refresh_snapshot()(ref(uow))
    report = app.fetch_workspaces()(WEB)

    assert snapshot is not None
    assert snapshot.state is WorkspaceState.ERROR
    assert snapshot.error is not None
    assert "symbolic link" in snapshot.error
    assert report.failed == ((IVO, f"{WORKSPACE} is a symbolic link"),)


@pytest.mark.parametrize(
    ("email", "project_id", "error", "message"),
    [
        ("vera@example.com", WEB, PermissionDenied, "role in tenant 'acme' does not allow"),
        (IVO, 99, NotFound, "project 99 does not exist"),
        (IVO, BARE, Conflict, "has no repo_url"),
    ],
)
def test_init_refusals_change_nothing(
    app: Container,
    uow: FakeUnitOfWork,
    git: FakeGitWorkspaces,
    email: str,
    project_id: int,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        app.init_workspace()(ref(uow, email, project_id))

    assert git.clones == {}


def test_an_unreachable_remote_is_reported_and_nothing_is_cloned(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    git.unreachable.add(URL)

    with pytest.raises(RemoteFailed, match="cannot reach"):
        app.init_workspace()(ref(uow))

    assert git.clones == {}


def test_a_user_outside_the_tenant_cannot_learn_the_project_exists(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex"))
    app.create_user()(CreateUserCommand(email="gus@example.com", name="Gus"))
    app.add_member()(AddMemberCommand(tenant="globex", email="gus@example.com", role="owner"))

    with pytest.raises(NotFound, match=f"project {WEB} does not exist"):
        app.workspace_status()(ref(uow, "gus@example.com"))


def test_nobody_but_an_admin_works_in_another_users_workspace(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    vera_for_ivo = WorkspaceRef(
        project_id=WEB, user_email=IVO, actor=actor(uow, "vera@example.com")
    )
    with pytest.raises(PermissionDenied, match="only work in your own workspace"):
        app.init_workspace()(vera_for_ivo)

    admin = Actor.system("cli:root")
    result = app.init_workspace()(WorkspaceRef(project_id=WEB, user_email=IVO, actor=admin))

    assert result.path == str(WORKSPACE)


def test_the_target_user_needs_access_even_when_an_admin_asks(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.create_user()(CreateUserCommand(email="out@example.com", name="Out"))
    admin = Actor.system("cli:root")

    outsider = WorkspaceRef(project_id=WEB, user_email="out@example.com", actor=admin)
    with pytest.raises(NotFound, match=f"project {WEB} does not exist"):
        app.init_workspace()(outsider)

    assert git.clones == {}


def test_status_of_a_missing_workspace_says_to_initialize_it(
    app: Container, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(WorkspaceMissing, match="initialize it first"):
        app.workspace_status()(ref(uow))

    snapshot = app.gateways.workspace_snapshots().get(actor(uow, IVO).user_id, WEB)
    assert snapshot is not None
    assert snapshot.state is WorkspaceState.MISSING


def test_pull_fast_forwards_and_refreshes_the_dashboard_snapshot(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.remotes[URL]["main"].append("c3")

    result = app.operate_workspace()(op(uow, "pull"))

    assert result.outcome is not None
    assert result.outcome.kind is MergeKind.FAST_FORWARD  # type: ignore[union-attr]
    assert git.clones[WORKSPACE].branches["main"] == ["c1", "c2", "c3"]
    snapshot = app.gateways.workspace_snapshots().get(actor(uow, IVO).user_id, WEB)
    assert snapshot is not None
    assert snapshot.status is not None
    assert snapshot.status.last_commit is not None
    assert snapshot.status.last_commit.sha == "c3"
    assert uow.committed.audit[-1].action == "workspace.pull"


def test_a_conflicting_pull_changes_nothing_and_shows_on_the_card(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.commit(WORKSPACE, "mine")
    git.remotes[URL]["main"].append("theirs")
    git.conflicts = ("README.md",)
    before = list(git.clones[WORKSPACE].branches["main"])

    with pytest.raises(MergeConflict, match=r"conflicts in README\.md; nothing was changed"):
        app.operate_workspace()(op(uow, "pull"))

    assert git.clones[WORKSPACE].branches["main"] == before
    snapshot = app.gateways.workspace_snapshots().get(actor(uow, IVO).user_id, WEB)
    assert snapshot is not None
    assert snapshot.state is WorkspaceState.ERROR
    assert snapshot.error is not None
    assert "README.md" in snapshot.error
    assert snapshot.status is not None  # the last known status stays on the card


def test_push_of_a_stale_branch_is_refused(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.commit(WORKSPACE, "mine")
    git.remotes[URL]["main"].append("theirs")

    with pytest.raises(PushRejected, match="pull first"):
        app.operate_workspace()(op(uow, "push"))

    assert git.remotes[URL]["main"] == ["c1", "c2", "theirs"]


@pytest.mark.parametrize("branch", ["-x", "--upload-pack=touch /tmp/pwned", "a..b", "a b", ""])
def test_bad_branch_names_are_refused_before_git_sees_them(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces, branch: str
) -> None:
    app.init_workspace()(ref(uow))

    with pytest.raises(ValidationError, match="branch"):
        app.operate_workspace()(op(uow, "checkout", branch))

    assert git.clones[WORKSPACE].current == "main"
    assert set(git.clones[WORKSPACE].branches) == {"main"}


def test_create_branch_from_a_base_then_merge_it_back(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))

    app.operate_workspace()(op(uow, "create-branch", "feature", base="origin/dev"))
    assert git.clones[WORKSPACE].current == "feature"
    app.operate_workspace()(op(uow, "checkout", "main"))
    merged = app.operate_workspace()(op(uow, "merge", "feature"))

    assert merged.outcome is not None
    assert merged.outcome.kind is MergeKind.MERGE_COMMIT  # type: ignore[union-attr]
    assert merged.status.branch == "main"
    assert app.list_branches()(ref(uow)).local == ("feature", "main")


def test_operations_on_a_missing_workspace_say_so(app: Container, uow: FakeUnitOfWork) -> None:
    with pytest.raises(WorkspaceMissing, match="initialize it first"):
        app.operate_workspace()(op(uow, "fetch"))


def test_snapshots_become_stale_after_the_ttl(
    app: Container, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    app.init_workspace()(ref(uow))
    user_id = actor(uow, IVO).user_id
    assert user_id is not None

    fresh = app.read_snapshots()(user_id, [WEB, BARE], timedelta(seconds=30))
    clock.advance(seconds=31)
    later = app.read_snapshots()(user_id, [WEB, BARE], timedelta(seconds=30))

    assert set(fresh.snapshots) == {WEB}
    assert fresh.stale == (BARE,)
    assert later.stale == (WEB, BARE)
    assert later.version == fresh.version


def test_refresh_records_a_missing_workspace_instead_of_failing(
    app: Container, uow: FakeUnitOfWork
) -> None:
    snapshot = app.refresh_snapshot()(ref(uow))

    assert snapshot is not None
    assert snapshot.state is WorkspaceState.MISSING
    assert app.refresh_snapshot()(ref(uow, project_id=99)) is None


def test_a_refresh_that_finds_nothing_new_keeps_cached_pages_valid(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces, clock: FakeClock
) -> None:
    app.init_workspace()(ref(uow))
    snapshots = app.gateways.workspace_snapshots()
    version = snapshots.version()

    clock.advance(seconds=60)
    app.refresh_snapshot()(ref(uow))
    unchanged = snapshots.version()
    git.commit(WORKSPACE, "new")
    app.refresh_snapshot()(ref(uow))

    assert unchanged == version
    assert snapshots.version() == version + 1
    user_id = actor(uow, IVO).user_id
    assert user_id is not None
    snapshot = snapshots.get(user_id, WEB)
    assert snapshot is not None
    assert snapshot.checked_at == clock.now()


def test_remote_operations_use_the_projects_ssh_identity(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    with uow:
        identity = uow.identities.add(
            SshIdentity(
                name="deploy",
                public_key=PUBLIC_KEY,
                created_at=FakeClock().now(),
                private_key_path="/srv/aiops/instance/keys/deploy",
            )
        )
        uow.commit()
    app.update_project()(UpdateProjectCommand(project_id=WEB, identity_id=identity.id))

    app.init_workspace()(ref(uow))
    app.operate_workspace()(op(uow, "fetch"))

    assert [a.ssh_key_path for a in git.accesses] == ["/srv/aiops/instance/keys/deploy"] * 2


def test_a_workspace_whose_origin_was_changed_is_not_fetched_with_the_projects_credentials(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.init_workspace()(ref(uow))
    git.remotes["/srv/git/elsewhere.git"] = {"main": ["secret"]}
    git.clones[WORKSPACE].origin = "/srv/git/elsewhere.git"

    with pytest.raises(RemoteFailed, match=r"not /srv/git/web\.git"):
        app.operate_workspace()(op(uow, "fetch"))

    assert "main" in git.clones[WORKSPACE].remote
    assert git.clones[WORKSPACE].remote["main"] == ["c1", "c2"]


def test_init_reaches_the_remote_with_the_projects_opened_token(
    app: Container, uow: FakeUnitOfWork, git: FakeGitWorkspaces
) -> None:
    app.update_project()(UpdateProjectCommand(project_id=WEB, https_token="ghp_t0ken"))

    app.init_workspace()(ref(uow))

    assert git.accesses[-1].https_token == "ghp_t0ken"
    assert "ghp_t0ken" not in repr(git.accesses[-1])
