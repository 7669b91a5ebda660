"""End to end: a project's https token, set through UpdateProject and sealed in the database,
lets a member's InitWorkspace clone a token-protected remote; the clone never keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.container import Container
from aiops.domain.model.workspaces import RemoteFailed
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand

from .conftest import HTTP_TOKEN, Git

IVO = "ivo@example.com"


def member_ref(app: Container, repo_url: str) -> WorkspaceRef:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=repo_url)
    )
    app.create_user()(CreateUserCommand(email=IVO, name="Ivo"))
    app.add_member()(AddMemberCommand(tenant="acme", email=IVO, role="member"))
    assert project.id is not None
    return WorkspaceRef(project_id=project.id, user_email=IVO)


def test_init_clones_a_token_protected_remote_with_the_projects_token(
    app: Container, http_remote: str, remote: Path
) -> None:
    ref = member_ref(app, http_remote)
    with pytest.raises(RemoteFailed, match="authentication failed"):
        app.init_workspace()(ref)

    app.update_project()(UpdateProjectCommand(project_id=ref.project_id, https_token=HTTP_TOKEN))
    result = app.init_workspace()(ref)

    path = Path(result.path)
    assert result.created
    assert Git(path).sha("HEAD") == Git(remote).sha("main")
    assert HTTP_TOKEN not in (path / ".git" / "config").read_text()
    stored = b"".join(p.read_bytes() for p in (path / ".git").rglob("*") if p.is_file())
    assert HTTP_TOKEN.encode() not in stored
