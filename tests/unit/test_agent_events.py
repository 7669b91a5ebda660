"""RecordAgentEvents (issue 18): a session's hook events, checked, stored and applied in one
transaction per batch, with notices for the transitions people want to hear about."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aiops.domain.errors import DomainError
from aiops.domain.model.notifications import NoticeEvent
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import (
    AgentEvent,
    AgentSession,
    AgentStatus,
    BadEvent,
    BadToken,
    Replayed,
    StatusSource,
    Tool,
    WrongAccount,
)
from aiops.domain.model.tenants import Tenant
from aiops.domain.usecases.agent_events import (
    AgentEventCommand,
    ListSessionEvents,
    RecordAgentEvent,
    RecordAgentEvents,
)
from tests.fakes import FakeClock, FakeLinuxUsers, FakeUnitOfWork
from tests.fakes.agent_status import FakeNoticeSink, FakeSessionTokens


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.tokens = FakeSessionTokens()
        self.notices = FakeNoticeSink()
        self.users = FakeLinuxUsers("ivan", "vera")
        with self.uow as uow:
            tenant = uow.tenants.add(Tenant(slug="acme", name="Acme"))
            assert tenant.id is not None
            self.tenant_id = tenant.id
            project = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
            assert project.id is not None
            self.sessions = [
                uow.agent_sessions.add(
                    AgentSession(
                        user_id=5,
                        project_id=project.id,
                        tool=Tool.CLAUDE,
                        linux_user=account,
                        tmux_socket="/tmp/tmux-1000/default",
                        tmux_session="web-p1",
                        tmux_window=f"{account}-claude",
                        started_at=self.clock.now(),
                    )
                )
                for account in ("ivan", "vera")
            ]
            uow.commit()
        self.record = RecordAgentEvents(
            uow=self.uow,
            tokens=self.tokens,
            linux_users=self.users,
            clock=self.clock,
            notices=self.notices,
        )
        self.one = RecordAgentEvent(record=self.record)
        self._ids = 0

    @property
    def ivan(self) -> AgentSession:
        return self.uow.committed.agent_sessions[self.sessions[0].id or 0]

    def cmd(self, event: str = "Notification", **kw: object) -> AgentEventCommand:
        self._ids += 1
        session = self.sessions[0]
        fields: dict[str, object] = {
            "session_id": session.id,
            "tool": Tool.CLAUDE,
            "event": event,
            "event_id": f"{self._ids:032x}",
            "sent_at": self.clock.now(),
            "token": f"token-{session.id}-{session.linux_user}",
            **kw,
        }
        return AgentEventCommand(**fields)  # type: ignore[arg-type]


@pytest.fixture
def world() -> World:
    return World()


def test_a_hook_event_sets_the_status_with_its_time_and_source(world: World) -> None:
    world.clock.advance(seconds=30)

    assert world.one(world.cmd("Notification")) is AgentStatus.WAITING

    assert world.ivan.status is AgentStatus.WAITING
    assert world.ivan.status_since == world.clock.now()
    assert world.ivan.status_source is StatusSource.HOOK
    [stored] = world.uow.committed.agent_events
    assert (stored.event, stored.status, stored.source) == (
        "Notification",
        AgentStatus.WAITING,
        StatusSource.HOOK,
    )


def test_waiting_then_working_then_finished_each_go_into_the_history(world: World) -> None:
    for event in ("Notification", "UserPromptSubmit", "Stop"):
        world.one(world.cmd(event))
        world.clock.advance(seconds=1)

    history = ListSessionEvents(uow=world.uow)(world.sessions[0].id or 0)
    assert [e.status for e in history] == [
        AgentStatus.FINISHED,
        AgentStatus.WORKING,
        AgentStatus.WAITING,
    ]


def test_a_transition_to_waiting_queues_one_notice_for_the_sessions_user(world: World) -> None:
    world.one(world.cmd("Notification"))
    world.one(world.cmd("Notification"))  # still the same wait

    [notice] = world.notices.notices
    session = world.ivan
    assert notice.event is NoticeEvent.WAITING
    assert (notice.user_id, notice.tenant_id) == (5, world.tenant_id)
    assert notice.dedup_key == (
        f"session:{session.id}:waiting:{(session.status_since or session.started_at).isoformat()}"
    )
    assert notice.link == f"/sessions/{session.id}"
    assert "token" not in notice.title + notice.body


def test_working_queues_no_notice(world: World) -> None:
    world.one(world.cmd("UserPromptSubmit"))

    assert world.notices.notices == []


def test_an_unknown_event_is_stored_and_changes_nothing(world: World) -> None:
    assert world.one(world.cmd("PreToolUse")) is AgentStatus.WORKING

    assert world.ivan.status_source is StatusSource.PANE
    assert [e.event for e in world.uow.committed.agent_events] == ["PreToolUse"]


@pytest.mark.parametrize(
    "forged",
    [
        {"token": "token-1-ivan-but-not"},
        {"token": ""},
        {"session_id": 9999},
    ],
    ids=["forged", "empty", "unknown-session"],
)
def test_a_forged_token_or_unknown_session_is_refused_alike(
    world: World, forged: dict[str, object]
) -> None:
    with pytest.raises(BadToken) as refused:
        world.one(world.cmd(**forged))

    assert refused.value.code == "bad_token"
    assert world.uow.committed.agent_events == []


def test_another_sessions_token_is_refused(world: World) -> None:
    vera = world.sessions[1]

    with pytest.raises(BadToken):
        world.one(world.cmd(token=f"token-{vera.id}-vera"))


def test_an_ended_session_takes_no_more_events(world: World) -> None:
    import attrs

    with world.uow as uow:
        uow.agent_sessions.update(attrs.evolve(world.ivan, ended_at=world.clock.now()))
        uow.commit()

    with pytest.raises(BadToken):
        world.one(world.cmd())


def test_a_replayed_event_id_is_refused_and_stored_once(world: World) -> None:
    cmd = world.cmd("Notification")
    world.one(cmd)

    with pytest.raises(Replayed):
        world.one(cmd)

    assert len(world.uow.committed.agent_events) == 1


@pytest.mark.parametrize("skew", [timedelta(minutes=6), -timedelta(minutes=6)])
def test_an_event_sent_too_far_from_now_is_refused(world: World, skew: timedelta) -> None:
    with pytest.raises(Replayed, match="5 minutes"):
        world.one(world.cmd(sent_at=world.clock.now() + skew))


def test_an_event_from_another_account_over_the_socket_is_refused(world: World) -> None:
    ivan_uid = world.users.accounts["ivan"].uid

    assert world.one(world.cmd(peer_uid=ivan_uid)) is AgentStatus.WAITING
    with pytest.raises(WrongAccount):
        world.one(world.cmd(peer_uid=world.users.accounts["vera"].uid))
    with pytest.raises(WrongAccount):
        world.one(world.cmd(peer_uid=0))


def test_an_event_of_another_tool_than_the_sessions_is_bad(world: World) -> None:
    with pytest.raises(BadEvent):
        world.one(world.cmd("agent-turn-complete", tool=Tool.CODEX))


def test_a_batch_is_one_transaction_with_one_outcome_per_event(world: World) -> None:
    replay = world.cmd("Stop")
    batch = [
        world.cmd("UserPromptSubmit"),
        world.cmd(token="forged"),
        replay,
        replay,
        world.cmd("Notification"),
    ]
    commits = world.uow.commits

    outcomes = world.record(batch)

    assert world.uow.commits == commits + 1
    assert outcomes[0] is AgentStatus.WORKING
    assert isinstance(outcomes[1], BadToken)
    assert outcomes[2] is AgentStatus.FINISHED
    assert isinstance(outcomes[3], Replayed)
    assert outcomes[4] is AgentStatus.WAITING
    assert all(isinstance(o, AgentStatus | DomainError) for o in outcomes)
    assert world.ivan.status is AgentStatus.WAITING
    assert [n.event for n in world.notices.notices] == [NoticeEvent.FINISHED, NoticeEvent.WAITING]
    assert len(world.uow.committed.agent_events) == 3


def test_the_history_is_hidden_from_those_who_may_not_see_the_session(world: World) -> None:
    from aiops.domain.errors import NotFound
    from aiops.domain.model.access import Actor

    stranger = Actor(name="eve@example.com", user_id=99, is_admin=False, roles={})

    with pytest.raises(NotFound):
        ListSessionEvents(uow=world.uow)(world.sessions[0].id or 0, stranger)


def test_a_batch_another_server_raced_is_decided_again(world: World) -> None:
    """Between the batch's look for seen ids and its insert, another server stores one."""
    cmd = world.cmd("Notification")
    twin = AgentEvent(
        session_id=cmd.session_id,
        event="Notification",
        event_id=cmd.event_id,
        status=AgentStatus.WAITING,
        source=StatusSource.HOOK,
        at=world.clock.now(),
    )

    class Racing(FakeUnitOfWork):
        raced = False

        def __enter__(self) -> Racing:
            entered = super().__enter__()
            if not Racing.raced:
                Racing.raced = True
                events = self.agent_events
                real_seen = events.seen

                def seen_then_raced(keys: object) -> set[tuple[int, str]]:
                    events.add(twin)  # the other server's insert lands now (committed)
                    self.committed.agent_events.append(twin)
                    events.seen = real_seen  # type: ignore[method-assign]
                    return set()

                events.seen = seen_then_raced  # type: ignore[method-assign]
            return entered

    world.record._uow = Racing(world.uow.committed)

    [outcome] = world.record([cmd])

    assert isinstance(outcome, Replayed)
    assert Racing.raced
