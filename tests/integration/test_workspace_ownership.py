"""When aiops runs as root, a workspace belongs to the user's Linux account, and stays theirs
after every operation: git runs as the account. Uses a throwaway account made with useradd
(never root, never a system account: aiops refuses those)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from dependency_injector import providers

from aiops.config import Settings
from aiops.container import Container
from aiops.domain.errors import AccountRefused
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import throwaway_account
from tests.integration.git.conftest import git_clone, make_remote, trusting

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


@pytest.fixture
def account() -> Iterator[LinuxAccount]:
    """A Linux account made for this test (`useradd`), removed afterwards."""
    with throwaway_account() as made:
        yield made


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder the account may pass through, for the remote it clones."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-remote-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    """Workspaces under a folder every account may traverse, as /home is (pytest's own
    temporary folders are root's alone)."""
    home = Path(tempfile.mkdtemp(prefix="aiops-home-"))
    home.chmod(0o755)
    yield attrs.evolve(settings, workspace_root=home)
    shutil.rmtree(home)


def owners(path: Path) -> set[int]:
    found = {path.lstat().st_uid}
    for folder, dirs, files in os.walk(path):
        found |= {(Path(folder) / name).lstat().st_uid for name in (*dirs, *files)}
    return found


def test_the_tree_is_the_linux_accounts_after_init_and_after_a_pull(
    app: Container, tmp_path: Path, shared: Path, account: LinuxAccount
) -> None:
    remote = make_remote(shared)
    trusting(account, remote)
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=str(remote))
    )
    app.create_user()(
        CreateUserCommand(email="ivo@example.com", name="Ivo", linux_username=account.name)
    )
    app.add_member()(AddMemberCommand(tenant="acme", email="ivo@example.com", role="member"))
    assert project.id is not None
    ref = WorkspaceRef(project_id=project.id, user_email="ivo@example.com")

    result = app.init_workspace()(ref)
    path = Path(result.path)
    other = git_clone(remote, tmp_path / "other")
    other.commit({"pkg/new.txt": "new\n"}, "Add a folder")
    other("push", "-q", "origin", "main")
    app.operate_workspace()(
        OperateCommand(
            project_id=project.id, user_email="ivo@example.com", operation=GitOperation.PULL
        )
    )

    assert path == app.settings().workspace_root / account.name / "workspace" / "web"
    assert owners(path) == {account.uid}
    assert path.parent.lstat().st_uid == account.uid
    assert (path / "pkg" / "new.txt").lstat().st_uid == account.uid
    assert app.workspace_status()(ref).status.clean


def test_a_system_account_gets_no_workspace_and_nothing_is_cloned(
    app: Container, tmp_path: Path
) -> None:
    """AIOPS_LINUX_USER_STRATEGY=direct makes daemon@... the `daemon` account (a system
    account): refused before git runs."""
    app.workspace_policy.override(
        providers.Object(attrs.evolve(app.workspace_policy(), linux_user_strategy="direct"))
    )
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(
        CreateProjectCommand(
            tenant="acme", slug="web", name="Web", repo_url=str(make_remote(tmp_path))
        )
    )
    app.create_user()(CreateUserCommand(email="daemon@example.com", name="Daemon"))
    app.add_member()(AddMemberCommand(tenant="acme", email="daemon@example.com", role="member"))
    assert project.id is not None

    with pytest.raises(AccountRefused, match=r"daemon is a system account \(uid 1 < UID_MIN"):
        app.init_workspace()(WorkspaceRef(project_id=project.id, user_email="daemon@example.com"))

    assert not (app.settings().workspace_root / "daemon").exists()
