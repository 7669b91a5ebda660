from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import Conflict, NotFound, ValidationError
from aiops.domain.model.projects import CLONE_DEPTH_MAX, CloneFilter, Project, clone_depth
from aiops.domain.usecases.projects import (
    CreateProjectCommand,
    ListProjectsQuery,
    UpdateProjectCommand,
    edited,
    updated_detail,
)
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.fakes import FakeUnitOfWork


@pytest.fixture(autouse=True)
def tenants(app: Container) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex"))


def create(app: Container, **fields: str | int) -> Project:
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
        ({"clone_filter": "tree:0"}, "clone_filter"),
        ({"clone_filter": "blob:limit=1k"}, "clone_filter"),
        ({"clone_depth": -1}, "clone_depth"),
        ({"clone_depth": 1_000_001}, "clone_depth"),
    ],
)
def test_invalid_project_fields_are_refused(
    app: Container, uow: FakeUnitOfWork, fields: dict[str, str | int], field: str
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


BEFORE = Project(
    tenant_id=1,
    slug="web",
    name="Web",
    repo_url="https://git.example.com/a/b.git",
    id=7,
    identity_id=3,
    https_token_sealed="old-sealed",
    clone_depth=50,
)


@given(
    name=st.none() | st.sampled_from(["Web 2", "Shop"]),
    repo_url=st.none() | st.sampled_from(["", "https://git.example.com/c/d.git"]),
    default_branch=st.none() | st.sampled_from(["main", "develop"]),
    identity_id=st.none() | st.integers(1, 9),
    clear_identity=st.booleans(),
    https_token=st.none() | st.just("new-token"),
    clear_https_token=st.booleans(),
    clone_filter=st.none() | st.sampled_from(["none", "blob:none"]),
    clone_depth=st.none() | st.integers(0, 1_000_000),
)
def test_an_edit_changes_the_given_fields_and_keeps_the_others(
    name: str | None,
    repo_url: str | None,
    default_branch: str | None,
    identity_id: int | None,
    clear_identity: bool,
    https_token: str | None,
    clear_https_token: bool,
    clone_filter: str | None,
    clone_depth: int | None,
) -> None:
    cmd = UpdateProjectCommand(
        project_id=7,
        name=name,
        repo_url=repo_url,
        default_branch=default_branch,
        identity_id=identity_id,
        clear_identity=clear_identity,
        https_token=https_token,
        clear_https_token=clear_https_token,
        clone_filter=clone_filter,
        clone_depth=clone_depth,
    )
    if (clear_identity and identity_id) or (clear_https_token and https_token):
        with pytest.raises(ValidationError, match="not both"):
            edited(BEFORE, cmd, "new-sealed" if https_token else None)
        return

    after = edited(BEFORE, cmd, "new-sealed" if https_token else None)

    assert after.name == (name or BEFORE.name)
    assert after.repo_url == (BEFORE.repo_url if repo_url is None else repo_url or None)
    assert after.default_branch == (default_branch or BEFORE.default_branch)
    assert after.identity_id == (None if clear_identity else identity_id or BEFORE.identity_id)
    kept_token = None if clear_https_token else "old-sealed"
    assert after.https_token_sealed == ("new-sealed" if https_token else kept_token)
    assert after.clone_filter == (clone_filter or BEFORE.clone_filter)
    assert after.clone_depth == (BEFORE.clone_depth if clone_depth is None else clone_depth)
    assert (after.id, after.tenant_id, after.slug) == (BEFORE.id, BEFORE.tenant_id, BEFORE.slug)


@given(
    change=st.sampled_from([None, "set", "cleared"]),
    cleared=st.sampled_from([(), ("https_token",), ("identity",), ("https_token", "identity")]),
)
def test_the_update_audit_says_a_token_a_new_remote_cleared_was_cleared(
    change: str | None, cleared: tuple[str, ...]
) -> None:
    detail = updated_detail(BEFORE, change, cleared)

    if "https_token" in cleared:
        assert detail["https_token"] == "cleared"
    else:
        assert detail.get("https_token") == change
    assert detail.get("cleared") == (",".join(cleared) or None)
    assert "old-sealed" not in detail.values()


def test_a_new_project_clones_in_full_until_told_otherwise_and_the_audit_says_how(
    app: Container, uow: FakeUnitOfWork
) -> None:
    project = create(app)
    assert (project.clone_filter, project.clone_depth) == (CloneFilter.NONE, 0)

    changed = app.update_project()(
        UpdateProjectCommand(project_id=project.id or 0, clone_filter="blob:none", clone_depth=1)
    ).project

    assert (changed.clone_filter, changed.clone_depth) == (CloneFilter.BLOB_NONE, 1)
    stored = uow.committed.projects[project.id or 0]
    assert (stored.clone_filter, stored.clone_depth) == (CloneFilter.BLOB_NONE, 1)
    detail = uow.committed.audit[-1].detail
    assert (detail["clone_filter"], detail["clone_depth"]) == ("blob:none", 1)


@given(value=st.integers() | st.booleans())
def test_a_clone_depth_is_a_whole_number_from_0_to_the_maximum(value: int) -> None:
    if isinstance(value, bool) or not 0 <= value <= CLONE_DEPTH_MAX:
        with pytest.raises(ValidationError, match="whole number"):
            clone_depth(value)
    else:
        assert clone_depth(value) == value
