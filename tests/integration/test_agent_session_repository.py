"""The agent session repository's contract on the fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from aiops.domain.errors import NotFound
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import AgentEvent, AgentSession, AgentStatus, StatusSource, Tool
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
    web_id, ivo_id = web_and_ivo(new_uow)
    with new_uow() as uow:
        plain = uow.agent_sessions.add(session(ivo_id, web_id, "ivo-codex"))
        shared = uow.agent_sessions.add(session(ivo_id, web_id, "ivo-shell", shared=True))
        uow.commit()
    with new_uow() as uow:
        uow.agent_sessions.update(attrs.evolve(shared, shared=False))
        uow.agent_sessions.update(attrs.evolve(plain, shared=True))
        uow.commit()
    with new_uow() as uow:
        assert [s.shared for s in uow.agent_sessions.list()] == [True, False]
        assert uow.agent_sessions.get(plain.id or 0) == attrs.evolve(plain, shared=True)


def web_and_ivo(new_uow: Callable[[], UnitOfWork]) -> tuple[int, int]:
    """acme/web and the user ivo: their ids."""
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        web = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
        ivo = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        uow.commit()
    assert web.id is not None
    assert ivo.id is not None
    return web.id, ivo.id


def _one_session(new_uow: Callable[[], UnitOfWork], window: str = "ivo-claude") -> AgentSession:
    web_id, ivo_id = web_and_ivo(new_uow)
    with new_uow() as uow:
        made = uow.agent_sessions.add(session(ivo_id, web_id, window, tool=Tool.CLAUDE))
        uow.commit()
    return made


def test_the_status_time_and_source_round_trip(new_uow: Callable[[], UnitOfWork]) -> None:
    made = _one_session(new_uow)
    hooked = attrs.evolve(
        made,
        status=AgentStatus.FINISHED,
        status_since=T0 + timedelta(seconds=3),
        status_source=StatusSource.HOOK,
    )
    with new_uow() as uow:
        uow.agent_sessions.update(hooked)
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_sessions.get(made.id or 0) == hooked


def test_agent_events_are_kept_newest_first_and_an_event_id_once_per_session(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    made = _one_session(new_uow)
    assert made.id is not None

    def event(n: int, event_id: str | None, status: AgentStatus) -> AgentEvent:
        source = StatusSource.PANE if event_id is None else StatusSource.HOOK
        return AgentEvent(
            session_id=made.id or 0,
            event="pane" if event_id is None else "Notification",
            event_id=event_id,
            status=status,
            source=source,
            at=T0 + timedelta(seconds=n),
        )

    with new_uow() as uow:
        assert uow.agent_events.add(event(1, "a" * 32, AgentStatus.WAITING))
        assert uow.agent_events.add(event(2, None, AgentStatus.WORKING))
        assert uow.agent_events.add(event(3, None, AgentStatus.WORKING))  # the pane's: no id
        assert not uow.agent_events.add(event(4, "a" * 32, AgentStatus.FINISHED))  # a replay
        assert uow.agent_events.add(event(5, "b" * 32, AgentStatus.FINISHED))
        uow.commit()  # the refused replay did not spoil the transaction
    with new_uow() as uow:
        listed = uow.agent_events.list(made.id)
        assert [(e.at, e.status) for e in listed] == [
            (T0 + timedelta(seconds=5), AgentStatus.FINISHED),
            (T0 + timedelta(seconds=3), AgentStatus.WORKING),
            (T0 + timedelta(seconds=2), AgentStatus.WORKING),
            (T0 + timedelta(seconds=1), AgentStatus.WAITING),
        ]
        assert listed[-1].event_id == "a" * 32
        assert listed[-1].source is StatusSource.HOOK
        assert len(uow.agent_events.list(made.id, limit=2)) == 2
        assert uow.agent_events.list(999) == []


def test_deleting_a_record_takes_its_events_with_it(new_uow: Callable[[], UnitOfWork]) -> None:
    made = _one_session(new_uow)
    assert made.id is not None
    with new_uow() as uow:
        uow.agent_events.add(
            AgentEvent(
                session_id=made.id,
                event="pane",
                status=AgentStatus.IDLE,
                source=StatusSource.PANE,
                at=T0,
            )
        )
        uow.agent_sessions.delete(made.id)
        uow.commit()
    with new_uow() as uow:
        assert uow.agent_sessions.get(made.id) is None
        assert uow.agent_events.list(made.id) == []


def test_a_batch_of_events_goes_in_at_once_or_not_at_all(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    made = _one_session(new_uow)
    assert made.id is not None

    def hook(event_id: str) -> AgentEvent:
        return AgentEvent(
            session_id=made.id or 0,
            event="Stop",
            event_id=event_id,
            status=AgentStatus.FINISHED,
            source=StatusSource.HOOK,
            at=T0,
        )

    with new_uow() as uow:
        assert uow.agent_events.add_many([hook("a" * 32), hook("b" * 32)])
        assert uow.agent_events.add_many([])
        uow.commit()
    with new_uow() as uow:
        assert not uow.agent_events.add_many([hook("c" * 32), hook("a" * 32)])  # a is there
        assert uow.agent_events.seen(
            {(made.id, "a" * 32), (made.id, "c" * 32), (999, "b" * 32)}
        ) == {(made.id, "a" * 32)}
        uow.commit()
    with new_uow() as uow:
        assert {e.event_id for e in uow.agent_events.list(made.id)} == {"a" * 32, "b" * 32}
        uow.commit()


def test_the_changes_marker_moves_with_every_change_a_live_page_shows(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    web_id, ivo_id = web_and_ivo(new_uow)
    marks = []

    def moved(change: Callable[[UnitOfWork], object] | None = None) -> bool:
        with new_uow() as uow:
            if change is not None:
                change(uow)
                uow.commit()
            marks.append(uow.agent_sessions.changes_marker())
        return len(marks) > 1 and marks[-1] != marks[-2]

    assert not moved()
    first = session(ivo_id, web_id, "ivo-codex", status_since=T0)
    assert moved(lambda uow: uow.agent_sessions.add(first))
    assert not moved()  # nothing changed: the same marker
    with new_uow() as uow:
        [first] = uow.agent_sessions.list()
    waiting = attrs.evolve(
        first, status=AgentStatus.WAITING, status_since=T0 + timedelta(seconds=1)
    )
    assert moved(lambda uow: uow.agent_sessions.update(waiting))
    # a status change that keeps the counts (two sessions swap) still moves status_since
    second = session(ivo_id, web_id, "ivo-shell", status_since=T0)
    assert moved(lambda uow: uow.agent_sessions.add(second))
    with new_uow() as uow:
        second = uow.agent_sessions.list()[-1]

    def swap(uow: UnitOfWork) -> None:
        uow.agent_sessions.update(
            attrs.evolve(
                waiting, status=AgentStatus.WORKING, status_since=T0 + timedelta(seconds=2)
            )
        )
        uow.agent_sessions.update(attrs.evolve(second, status=AgentStatus.WAITING,
                                               status_since=T0 + timedelta(seconds=2)))  # fmt: skip

    assert moved(swap)
    assert moved(lambda uow: uow.agent_sessions.update(attrs.evolve(second, shared=True)))
    ended = attrs.evolve(waiting, status=AgentStatus.EXITED, ended_at=T0)
    assert moved(lambda uow: uow.agent_sessions.update(ended))
    assert not moved()
