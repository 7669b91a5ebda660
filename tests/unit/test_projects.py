from __future__ import annotations

import pytest

from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound, ValidationError
from aiops.domain.model.projects import Project
from aiops.domain.usecases.projects import (
    CreateProjectCommand,
    ListProjectsQuery,
    UpdateProjectCommand,
)
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.fakes import FakeUnitOfWork


@pytest.fixture(autouse=True)
def tenants(app: Container) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex"))


def create(app: Container, **fields: str) -> Project:
    cmd = {"tenant": "acme", "slug": "web", "name": "Web"} | fields
    return app.create_project()(CreateProjectCommand(**cmd))


def test_create_project_in_a_tenant_with_defaults(app: Container, uow: FakeUnitOfWork) -> None:
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=" git@h.io:a/b.git ")
    )

    acme = next(t for t in uow.committed.tenants.values() if t.slug == "acme")
    assert (project.tenant_id, project.repo_url, project.default_branch) == (
        acme.id,
        "git@h.io:a/b.git",
        "main",
    )
    assert uow.committed.audit[-1].action == "project.created"
    assert uow.committed.audit[-1].target == f"project:{project.id}"


def test_project_in_unknown_tenant_is_not_found_and_stores_nothing(
    app: Container, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(NotFound, match="tenant 'ghost' does not exist"):
        create(app, tenant="ghost")

    assert uow.committed.projects == {}


def test_project_slugs_are_unique_per_tenant_only(app: Container) -> None:
    create(app)
    create(app, tenant="globex")

    with pytest.raises(Conflict, match="already exists in tenant 'acme'"):
        create(app, name="Another")

    assert len(app.list_projects()(ListProjectsQuery())) == 2
    assert len(app.list_projects()(ListProjectsQuery(tenant="globex"))) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "-web"}, "slug"),
        ({"repo_url": "--upload-pack=evil"}, "repo_url"),
        ({"repo_url": "ftp://host/x"}, "repo_url"),
        ({"default_branch": "feat..x"}, "default_branch"),
        ({"default_branch": "-main"}, "default_branch"),
    ],
)
def test_invalid_project_fields_are_refused(
    app: Container, uow: FakeUnitOfWork, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        create(app, **fields)

    assert raised.value.field == field
    assert uow.committed.projects == {}


def test_update_project_changes_given_fields_and_empty_repo_url_clears_it(
    app: Container, uow: FakeUnitOfWork
) -> None:
    project = create(app, repo_url="https://git.example.com/web.git")
    pid = project.id

    renamed = app.update_project()(UpdateProjectCommand(project_id=pid, name="Website")).project
    cleared = app.update_project()(UpdateProjectCommand(project_id=pid, repo_url="")).project

    assert renamed.repo_url == "https://git.example.com/web.git"
    assert (cleared.name, cleared.repo_url) == ("Website", None)
    assert [e.action for e in uow.committed.audit][-2:] == ["project.updated", "project.updated"]


def test_update_unknown_project_is_not_found(app: Container) -> None:
    with pytest.raises(NotFound, match="project 999 does not exist"):
        app.update_project()(UpdateProjectCommand(project_id=999, name="X"))


def test_list_projects_of_unknown_tenant_is_not_found(app: Container) -> None:
    with pytest.raises(NotFound):
        app.list_projects()(ListProjectsQuery(tenant="ghost"))
