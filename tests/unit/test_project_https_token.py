"""A project's https token: sealed before it is stored, opened only into RemoteAccess, never
in the audit trail, set only by those who manage the project's tenant."""

from __future__ import annotations

import json

import pytest

from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, SecretUnreadable, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.projects import Project
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.fakes import FakeSecretBox, FakeUnitOfWork

TOKEN = "ghp_Sup3rS3cretT0ken"


@pytest.fixture
def acme(app: Container) -> int:
    tenant = app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    assert tenant.id is not None
    return tenant.id


def create(app: Container, **fields: object) -> Project:
    return app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", **fields)  # type: ignore[arg-type]
    )


def stored(uow: FakeUnitOfWork, project: Project) -> Project:
    assert project.id is not None
    return uow.committed.projects[project.id]


def audit_text(uow: FakeUnitOfWork) -> str:
    return json.dumps([dict(e.detail) for e in uow.committed.audit]) + repr(uow.committed.audit)


def test_a_token_given_at_creation_is_stored_sealed_and_opens_to_itself(
    app: Container, acme: int, uow: FakeUnitOfWork, secret_box: FakeSecretBox
) -> None:
    project = create(app, https_token=TOKEN)

    sealed = stored(uow, project).https_token_sealed
    assert sealed is not None
    assert TOKEN not in sealed
    assert secret_box.open(sealed) == TOKEN
    assert uow.committed.audit[-1].detail["https_token"] == "set"
    assert TOKEN not in audit_text(uow)
    assert TOKEN not in repr(project)


def test_update_sets_then_clears_the_token_and_the_audit_says_only_which(
    app: Container, acme: int, uow: FakeUnitOfWork, secret_box: FakeSecretBox
) -> None:
    project = create(app)
    assert project.id is not None
    assert "https_token" not in uow.committed.audit[-1].detail

    app.update_project()(UpdateProjectCommand(project_id=project.id, https_token=TOKEN))
    sealed = stored(uow, project).https_token_sealed
    renamed = app.update_project()(
        UpdateProjectCommand(project_id=project.id, name="Website")
    ).project
    app.update_project()(UpdateProjectCommand(project_id=project.id, clear_https_token=True))

    assert sealed is not None
    assert secret_box.open(sealed) == TOKEN
    assert renamed.https_token_sealed == sealed  # other changes keep the token
    assert stored(uow, project).https_token_sealed is None
    markers = [e.detail.get("https_token") for e in uow.committed.audit[-3:]]
    assert markers == ["set", None, "cleared"]
    assert TOKEN not in audit_text(uow)


def test_clearing_a_project_without_a_token_changes_nothing(
    app: Container, acme: int, uow: FakeUnitOfWork
) -> None:
    project = create(app)
    assert project.id is not None
    events = len(uow.committed.audit)

    app.update_project()(UpdateProjectCommand(project_id=project.id, clear_https_token=True))

    assert len(uow.committed.audit) == events


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "1-4096 characters"),
        ("x" * 4097, "1-4096 characters"),
        ("two words", "spaces, line breaks or control characters"),
        ("line\nbreak", "spaces, line breaks or control characters"),
        ("tab\there", "spaces, line breaks or control characters"),
        ("bell\x07", "spaces, line breaks or control characters"),
        ("del\x7f", "spaces, line breaks or control characters"),
        ("nbsp\xa0x", "visible ASCII characters only"),
        ("caf\u00e9", "visible ASCII characters only"),
        ("lone\ud800", "visible ASCII characters only"),
    ],
)
def test_invalid_tokens_are_refused_without_repeating_them(
    app: Container, acme: int, uow: FakeUnitOfWork, token: str, message: str
) -> None:
    project = create(app)
    assert project.id is not None

    with pytest.raises(ValidationError, match=message) as raised:
        app.update_project()(UpdateProjectCommand(project_id=project.id, https_token=token))

    assert raised.value.field == "https_token"
    assert token.strip() == "" or token not in raised.value.message
    assert stored(uow, project).https_token_sealed is None


def test_a_4096_character_token_is_accepted(app: Container, acme: int) -> None:
    assert create(app, https_token="t" * 4096).https_token_sealed is not None


def test_setting_and_clearing_at_once_is_refused(app: Container, acme: int) -> None:
    project = create(app)
    assert project.id is not None

    with pytest.raises(ValidationError, match="not both at once"):
        app.update_project()(
            UpdateProjectCommand(project_id=project.id, https_token=TOKEN, clear_https_token=True)
        )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER, None])
def test_only_a_manager_of_the_tenant_sets_the_token(
    app: Container, acme: int, uow: FakeUnitOfWork, role: Role | None
) -> None:
    project = create(app)
    assert project.id is not None
    someone = Actor(name="ivo@example.com", user_id=77, roles={acme: role} if role else {})
    expected = NotFound if role is None else PermissionDenied

    with pytest.raises(expected):
        app.update_project()(
            UpdateProjectCommand(project_id=project.id, https_token=TOKEN, actor=someone)
        )
    with pytest.raises(expected):
        app.update_project()(
            UpdateProjectCommand(project_id=project.id, clear_https_token=True, actor=someone)
        )

    assert stored(uow, project).https_token_sealed is None


def test_an_owner_sets_the_token(app: Container, acme: int, uow: FakeUnitOfWork) -> None:
    project = create(app)
    assert project.id is not None
    owner = Actor(name="olga@example.com", user_id=78, roles={acme: Role.OWNER})

    app.update_project()(
        UpdateProjectCommand(project_id=project.id, https_token=TOKEN, actor=owner)
    )

    assert stored(uow, project).https_token_sealed is not None


def test_commands_and_projects_keep_the_token_out_of_their_repr() -> None:
    create_cmd = CreateProjectCommand(tenant="acme", slug="web", name="Web", https_token=TOKEN)
    update_cmd = UpdateProjectCommand(project_id=1, https_token=TOKEN)
    project = Project(tenant_id=1, slug="web", name="Web", https_token_sealed="sealed:abc")

    assert TOKEN not in repr(create_cmd) + repr(update_cmd)
    assert "sealed:abc" not in repr(project)


def test_the_fake_box_refuses_what_it_did_not_seal(secret_box: FakeSecretBox) -> None:
    with pytest.raises(SecretUnreadable):
        secret_box.open("plain-token")
    with pytest.raises(SecretUnreadable):
        secret_box.open("sealed:%%%")
