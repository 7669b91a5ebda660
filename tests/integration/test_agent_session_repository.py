"""The agent session repository's contract on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from aiops.domain.errors import NotFound
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import AgentSession, AgentStatus, Tool
from aiops.domain.model.users import User
from aiops.ports.unit_of_work import UnitOfWork
from tests.integration.test_repositories import new_uow, seed_tenant

__all__ = ["new_uow"]
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def session(user_id: int, project_id: int, window: str, **fields: object) -> AgentSession:
    values: dict[str, object] = {
        "user_id": user_id,
        "project_id": project_id,
        "tool": Tool.CODEX,
        "linux_user": "ivan",
        "tmux_socket": "/tmp/tmux-1000/default",
        "tmux_session": f"web-p{project_id}",
        "tmux_window": window,
        "started_at": T0,
    }
    return AgentSession(**(values | fields))  # type: ignore[arg-type]


def test_sessions_round_trip_and_filter(new_uow: Callable[[], UnitOfWork]) -> None:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        web = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
        api = uow.projects.add(Project(tenant_id=tenant.id, slug="api", name="Api"))
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        assert web.id is not None and api.id is not None and ivo.id is not None  # noqa: PT018
        first = uow.agent_sessions.add(session(ivo.id, web.id, "ivo-codex"))
        second = uow.agent_sessions.add(
            session(ivo.id, api.id, "ivo-shell", tool=Tool.SHELL, last_activity=T0)
        )
        uow.commit()
    ended = attrs.evolve(first, status=AgentStatus.EXITED, ended_at=T0 + timedelta(minutes=5))
    with new_uow() as uow:
        uow.agent_sessions.update(ended)
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_sessions.get(first.id or 0) == ended
        assert uow.agent_sessions.list() == [ended, second]
        assert uow.agent_sessions.list(live=True) == [second]
        assert uow.agent_sessions.list(project_id=web.id) == [ended]
        assert uow.agent_sessions.list(user_id=ivo.id, live=True) == [second]
        assert uow.agent_sessions.get(999) is None
        with pytest.raises(NotFound):
            uow.agent_sessions.update(attrs.evolve(second, id=999))


def test_the_shared_flag_round_trips(new_uow: Callable[[], UnitOfWork]) -> None:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        web = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        assert web.id is not None and ivo.id is not None  # noqa: PT018
        plain = uow.agent_sessions.add(session(ivo.id, web.id, "ivo-codex"))
        shared = uow.agent_sessions.add(session(ivo.id, web.id, "ivo-shell", shared=True))
        uow.commit()
    with new_uow() as uow:
        uow.agent_sessions.update(attrs.evolve(shared, shared=False))
        uow.agent_sessions.update(attrs.evolve(plain, shared=True))
        uow.commit()
    with new_uow() as uow:
        assert [s.shared for s in uow.agent_sessions.list()] == [True, False]
        assert uow.agent_sessions.get(plain.id or 0) == attrs.evolve(plain, shared=True)
