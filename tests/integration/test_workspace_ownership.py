"""When aiops runs as root, a workspace belongs to the user's Linux account, and stays theirs
after every operation. Uses the system's `nobody` account (never root)."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.config import Settings
from aiops.container import Container
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
from tests.integration.git.conftest import git_clone, make_remote

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
NOBODY = pwd.getpwnam("nobody")


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    """Workspaces under a folder every account may traverse, as /home is (pytest's own
    temporary folders are root's alone)."""
    home = Path(tempfile.mkdtemp(prefix="aiops-home-"))
    home.chmod(0o755)
    yield settings.model_copy(update={"workspace_root": home})
    shutil.rmtree(home)


def owners(path: Path) -> set[int]:
    found = {path.lstat().st_uid}
    for folder, dirs, files in os.walk(path):
        found |= {(Path(folder) / name).lstat().st_uid for name in (*dirs, *files)}
    return found


def test_the_tree_is_the_linux_accounts_after_init_and_after_a_pull(
    app: Container, tmp_path: Path
) -> None:
    remote = make_remote(tmp_path)
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=str(remote))
    )
    app.create_user()(
        CreateUserCommand(email="ivo@example.com", name="Ivo", linux_username="nobody")
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

    assert path == app.settings().workspace_root / "nobody" / "workspace" / "web"
    assert owners(path) == {NOBODY.pw_uid}
    assert path.parent.lstat().st_uid == NOBODY.pw_uid
    assert (path / "pkg" / "new.txt").lstat().st_uid == NOBODY.pw_uid
    assert app.workspace_status()(ref).status.clean  # git still reads a tree it does not own


def test_root_is_never_an_owner() -> None:
    assert PosixLinuxUsers().lookup("root") is None
    assert PosixLinuxUsers().lookup("no-such-account-here") is None
