"""The Fernet SecretBox: sealed values open to what was sealed, under that secret key only,
and the database keeps only sealed tokens."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text

from aiops.adapters.fernet_secret_box import FernetSecretBox
from aiops.container import Container
from aiops.domain.errors import SecretUnreadable
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand

KEY = "k" * 32
TOKEN = "ghp_S3cretT0kenThatMustNeverBeStored"


def test_a_sealed_token_opens_to_itself_and_seals_differently_each_time() -> None:
    box = FernetSecretBox(KEY)

    first, second = box.seal(TOKEN), box.seal(TOKEN)

    assert box.open(first) == box.open(second) == TOKEN
    assert first != second
    assert TOKEN not in first
    assert KEY not in repr(box)


def test_a_tampered_value_is_a_clear_error() -> None:
    box = FernetSecretBox(KEY)
    raw = bytearray(base64.urlsafe_b64decode(box.seal(TOKEN)))
    raw[-40] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode()

    for broken in (tampered, "not a sealed value", ""):
        with pytest.raises(SecretUnreadable, match="altered or sealed under another secret key"):
            box.open(broken)


def test_another_secret_key_cannot_open_it() -> None:
    sealed = FernetSecretBox(KEY).seal(TOKEN)

    with pytest.raises(SecretUnreadable):
        FernetSecretBox("j" * 32).open(sealed)


def test_a_short_secret_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        FernetSecretBox("short")


def test_the_projects_row_holds_the_sealed_token_never_the_token(app: Container) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    made = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", https_token=TOKEN)
    )
    plain = app.create_project()(CreateProjectCommand(tenant="acme", slug="api", name="API"))
    assert made.id is not None
    assert plain.id is not None

    with app.engine().connect() as db:
        rows = db.execute(text("SELECT * FROM projects ORDER BY id")).all()
        audit = db.execute(text("SELECT * FROM audit_events")).all()
    sealed = rows[0].https_token_sealed

    assert TOKEN not in repr(rows) + repr(audit)
    assert app.secret_box().open(sealed) == TOKEN
    assert rows[1].https_token_sealed is None
    app.update_project()(UpdateProjectCommand(project_id=made.id, clear_https_token=True))
    with app.engine().connect() as db:
        cleared = db.execute(text("SELECT https_token_sealed FROM projects WHERE id = :id"),
                             {"id": made.id}).scalar_one()  # fmt: skip
    assert cleared is None
