"""The worktree repository's contract on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from aiops.domain.errors import Conflict
from aiops.domain.model.projects import Project
from aiops.domain.model.users import User
from aiops.domain.model.worktrees import Worktree
from aiops.ports.unit_of_work import UnitOfWork
from tests.integration.test_repositories import new_uow, seed_tenant

__all__ = ["new_uow"]
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_worktrees_round_trip_filter_and_delete(new_uow: Callable[[], UnitOfWork]) -> None:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        web = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
        api = uow.projects.add(Project(tenant_id=tenant.id, slug="api", name="Api"))
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        assert web.id is not None and api.id is not None and ivo.id is not None  # noqa: PT018
        first = uow.worktrees.add(
            Worktree(
                user_id=ivo.id,
                project_id=web.id,
                branch="aiops/gh-12-fix-login",
                path="/home/ivo/worktrees/web/aiops-gh-12-fix-login",
                created_at=T0,
            )
        )
        second = uow.worktrees.add(
            Worktree(
                user_id=ivo.id,
                project_id=api.id,
                branch="spike",
                path="/home/ivo/worktrees/api/spike",
                created_at=T0,
            )
        )
        uow.commit()
    assert first.id is not None and second.id is not None  # noqa: PT018
    with new_uow() as uow:
        assert uow.worktrees.get(first.id) == first
        assert uow.worktrees.list() == [first, second]
        assert uow.worktrees.list(project_id=web.id) == [first]
        assert uow.worktrees.list(user_id=ivo.id, project_id=api.id) == [second]
        assert uow.worktrees.get(999) is None
        assert uow.worktrees.get(0) is None
        uow.worktrees.delete(first.id)
        uow.commit()
    with new_uow() as uow:
        assert uow.worktrees.list() == [second]


@pytest.mark.parametrize(
    ("branch", "path"),
    [("spike", "/home/ivo/worktrees/web/other"), ("other", "/home/ivo/worktrees/web/spike")],
)
def test_a_second_worktree_on_the_same_branch_or_path_is_a_conflict(
    new_uow: Callable[[], UnitOfWork], branch: str, path: str
) -> None:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        web = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        assert web.id is not None and ivo.id is not None  # noqa: PT018
        uow.worktrees.add(
            Worktree(
                user_id=ivo.id,
                project_id=web.id,
                branch="spike",
                path="/home/ivo/worktrees/web/spike",
                created_at=T0,
            )
        )
        uow.commit()
    with new_uow() as uow, pytest.raises(Conflict):
        uow.worktrees.add(
            Worktree(user_id=ivo.id, project_id=web.id, branch=branch, path=path, created_at=T0)
        )
