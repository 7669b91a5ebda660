"""Bad input through the real container, on SQLite and PostgreSQL: a clear domain error, and
every table exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from aiops.adapters.sqlalchemy.tables import metadata
from aiops.container import Container
from aiops.domain.errors import Conflict, DomainError, NotFound, ValidationError
from aiops.domain.usecases.jobs import AddJobCommand, RunJobNowCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand, UpdateProjectCommand
from aiops.domain.usecases.seed import SeedCommand
from aiops.domain.usecases.tenants import CreateTenantCommand, UpdateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            name: sorted(tuple(row) for row in connection.execute(select(table)))
            for name, table in metadata.tables.items()
        }


BAD_INPUT: dict[str, tuple[type[DomainError], str, Callable[[Container], object]]] = {
    "invalid slug": (ValidationError, "not a valid slug",
        lambda a: a.create_tenant()(CreateTenantCommand(slug="Acme Corp", name="Acme"))),
    "invalid colour": (ValidationError, "#RRGGBB",
        lambda a: a.create_tenant()(CreateTenantCommand(slug="acme2", name="A", color="blue"))),
    "invalid colour on update": (ValidationError, "#RRGGBB",
        lambda a: a.update_tenant()(UpdateTenantCommand(slug="acme", color="#12"))),
    "invalid email": (ValidationError, "not a valid email",
        lambda a: a.create_user()(CreateUserCommand(email="ivo@", name="Ivo"))),
    "duplicate tenant slug": (Conflict, "already exists",
        lambda a: a.create_tenant()(CreateTenantCommand(slug="acme", name="Again"))),
    "duplicate user email": (Conflict, "already exists",
        lambda a: a.create_user()(CreateUserCommand(email="OWNER@example.com", name="X", username="x"))),
    "project in unknown tenant": (NotFound, "tenant 'ghost' does not exist",
        lambda a: a.create_project()(CreateProjectCommand(tenant="ghost", slug="p", name="P"))),
    "duplicate project": (Conflict, "already exists",
        lambda a: a.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="W"))),
    "bad branch on update": (ValidationError, "default_branch",
        lambda a: a.update_project()(UpdateProjectCommand(project_id=1, default_branch="a..b"))),
    "short password": (ValidationError, "password",
        lambda a: a.set_password()(SetPasswordCommand(email="owner@example.com", password="short"))),
    "unknown role": (ValidationError, "not a role",
        lambda a: a.add_member()(AddMemberCommand(tenant="acme", email="owner@example.com", role="god"))),
    "seed without admin email": (ValidationError, "AIOPS_ADMIN_EMAIL",
        lambda a: a.seed_defaults()(SeedCommand(admin_email=None))),
    "invalid cron expression": (ValidationError, "not a valid cron expression",
        lambda a: a.add_job()(AddJobCommand(name="j", kind="tmux-resync", cron="99 * * * *"))),
    "a job kind that does not exist": (ValidationError, "unknown job kind 'reboot'",
        lambda a: a.add_job()(AddJobCommand(name="j", kind="reboot", every="5m"))),
    "job params of the wrong shape": (ValidationError, "'project_id' must be a positive",
        lambda a: a.add_job()(AddJobCommand(name="j", kind="workspace-fetch", every="5m",
                                            params={"project_id": "2"}))),
    "a playbook name with a path": (ValidationError, "'playbook' must be a name",
        lambda a: a.add_job()(AddJobCommand(name="j", kind="playbook", every="5m",
                                            params={"playbook": "/etc/evil.yml"}))),
    "run of an unknown job": (NotFound, "job 'ghost' does not exist",
        lambda a: a.run_job_now()(RunJobNowCommand(name="ghost", inline=True))),
}  # fmt: skip


@pytest.fixture
def populated(app: Container) -> Container:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    app.create_user()(CreateUserCommand(email="owner@example.com", name="Owner"))
    app.add_member()(AddMemberCommand(tenant="acme", email="owner@example.com", role="owner"))
    return app


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_and_loses_nothing(populated: Container, case: str) -> None:
    error, message, attempt = BAD_INPUT[case]
    before = snapshot(populated.engine())

    with pytest.raises(error, match=message):
        attempt(populated)

    assert snapshot(populated.engine()) == before


def test_a_failure_after_writes_rolls_the_whole_use_case_back(populated: Container) -> None:
    """The tenant row is written, then the audit insert fails: neither survives."""

    class BrokenClock:
        def now(self) -> None:  # an audit event without a time violates NOT NULL
            return None

    before = snapshot(populated.engine())
    populated.clock.override(BrokenClock())  # type: ignore[arg-type]

    with pytest.raises(IntegrityError):
        populated.create_tenant()(CreateTenantCommand(slug="halfway", name="Half"))

    assert snapshot(populated.engine()) == before
