"""Agent events (issue 18): a tool's own hook tells aiops what its agent does.

`RecordAgentEvents` takes a batch of events in ONE transaction: each is checked (the session's
token, its account when the transport knows the peer, replays), stored in agent_events, and
applied to its session through `decide_status`; notices for transitions to waiting, finished
or failed are queued in the same transaction. An event refused does not stop the others: each
gets its own answer. The ingest entrypoints (entrypoints/http/agent_events.py) queue events and
answer each once the batch holding it is COMMITTED: an accepted event is durably stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from aiops.domain.errors import Conflict, DomainError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.notifications import Notice, NoticeEvent
from aiops.domain.model.sessions import (
    NOTIFIED,
    AgentEvent,
    AgentSession,
    AgentStatus,
    BadEvent,
    BadToken,
    Replayed,
    StatusSource,
    Tool,
    WrongAccount,
    decide_status,
    status_for,
)
from aiops.domain.usecases.pull_requests import queue_after_finished
from aiops.domain.usecases.sessions import _visible_session
from aiops.ports.clock import Clock
from aiops.ports.linux_users import LinuxUsers
from aiops.ports.notifications import NoticeSink
from aiops.ports.session_tokens import SessionTokens
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

REPLAY_WINDOW = timedelta(minutes=5)  # sent_at further than this from the clock: refused
ATTEMPTS = 3  # a batch whose event ids another server stored meanwhile is decided again


@attrs.frozen(kw_only=True)
class AgentEventCommand:
    """One event as the hook command sent it (shape checked by the entrypoint), with the
    token it proved itself with and, over the unix socket, the peer's uid."""

    session_id: int
    tool: Tool
    event: str
    event_id: str
    sent_at: datetime
    token: str = attrs.field(repr=False)
    detail: Mapping[str, object] = attrs.field(factory=dict)
    peer_uid: int | None = None


Outcome = AgentStatus | DomainError  # the session's status after the event, or why refused


class _Batch:
    """What one transaction has read and decided so far: sessions (as updated by earlier
    events of the batch), accounts' uids, tenants of projects, the notices to queue."""

    def __init__(self, uow: UnitOfWork, linux_users: LinuxUsers, now: datetime) -> None:
        self.uow = uow
        self.now = now
        self._linux_users = linux_users
        self.sessions: dict[int, AgentSession | None] = {}
        self.changed: set[int] = set()
        self._uids: dict[str, int | None] = {}
        self._tenants: dict[int, int | None] = {}
        self.seen: set[tuple[int, str]] = set()  # (session id, event id) stored or in the batch
        self.events: list[AgentEvent] = []  # to store, in order
        self.notices: list[Notice] = []
        self.finished: list[AgentSession] = []  # finished a turn: maybe a pull request (issue 19)

    def session(self, session_id: int) -> AgentSession | None:
        if session_id not in self.sessions:
            self.sessions[session_id] = self.uow.agent_sessions.get(session_id)
        return self.sessions[session_id]

    def uid(self, name: str) -> int | None:
        if name not in self._uids:
            account = self._linux_users.lookup(name)
            self._uids[name] = account.uid if account else None
        return self._uids[name]

    def apply(self, before: AgentSession, after: AgentSession) -> None:
        assert after.id is not None
        self.sessions[after.id] = after
        if after != before:
            self.changed.add(after.id)
        if after.status is not before.status and after.status in NOTIFIED:
            self.notices.append(status_notice(after, self._tenant(after.project_id)))

    def _tenant(self, project_id: int) -> int | None:
        if project_id not in self._tenants:
            project = self.uow.projects.get(project_id)
            self._tenants[project_id] = project.tenant_id if project else None
        return self._tenants[project_id]


class RecordAgentEvents:
    """Check, store and apply a batch of agent events in one transaction; one outcome per
    event, in order (a refused event's DomainError says why)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        tokens: SessionTokens,
        linux_users: LinuxUsers,
        clock: Clock,
        notices: NoticeSink | None = None,
        loop_wakeup: Callable[[], None] | None = None,  # the PR loop's runner (issue 19)
    ) -> None:
        self._uow = uow
        self._tokens = tokens
        self._linux_users = linux_users
        self._clock = clock
        self._notices = notices
        self._loop_wakeup = loop_wakeup

    def __call__(self, commands: Sequence[AgentEventCommand]) -> list[Outcome]:
        for _ in range(ATTEMPTS):
            with self._uow() as uow:
                batch = _Batch(uow, self._linux_users, self._clock.now())
                batch.seen = uow.agent_events.seen({(c.session_id, c.event_id) for c in commands})
                outcomes = [self._outcome(batch, cmd) for cmd in commands]
                if not uow.agent_events.add_many(batch.events):
                    continue  # another server stored one of them meanwhile: decide again
                for session_id in sorted(batch.changed):
                    session = batch.sessions[session_id]
                    assert session is not None
                    uow.agent_sessions.update(session)
                if batch.notices and self._notices is not None:
                    self._notices(uow, batch.notices)
                queued = [queue_after_finished(uow, s, batch.now) for s in batch.finished]
                uow.commit()
                if any(queued) and self._loop_wakeup is not None:
                    self._loop_wakeup()
                return outcomes
        raise Conflict("these agent events collided with another server's: send them again")

    def _outcome(self, batch: _Batch, cmd: AgentEventCommand) -> Outcome:
        try:
            return self._record(batch, cmd)
        except DomainError as refused:
            return refused

    def _record(self, batch: _Batch, cmd: AgentEventCommand) -> AgentStatus:
        session = self._checked(batch, cmd)
        hook = status_for(session.tool, cmd.event)
        after = session if hook is None else decide_status(session, now=batch.now, hook=hook)
        stored = AgentEvent(
            session_id=cmd.session_id,
            event=cmd.event,
            event_id=cmd.event_id,
            status=after.status,
            source=StatusSource.HOOK,
            at=batch.now,
        )
        if (cmd.session_id, cmd.event_id) in batch.seen:
            raise Replayed(f"event {cmd.event_id} was sent before for this session")
        batch.seen.add((cmd.session_id, cmd.event_id))
        batch.events.append(stored)
        batch.apply(session, after)
        if hook is AgentStatus.FINISHED and after.issue_id is not None:
            batch.finished.append(after)  # each finished turn: its commits may make a PR
        return after.status

    def _checked(self, batch: _Batch, cmd: AgentEventCommand) -> AgentSession:
        """The event's session, once its token (and the peer's account, when known) holds and
        sent_at is near enough to now."""
        session = batch.session(cmd.session_id)
        if (
            session is None
            or session.ended_at is not None
            or not self._tokens.valid(cmd.session_id, session.linux_user, cmd.token)
        ):
            raise BadToken
        if cmd.peer_uid is not None and batch.uid(session.linux_user) != cmd.peer_uid:
            raise WrongAccount
        if cmd.tool is not session.tool:
            raise BadEvent(f"tool {cmd.tool.value}: the session runs {session.tool.value}")
        if abs(cmd.sent_at - batch.now) > REPLAY_WINDOW:
            raise Replayed("sent_at is more than 5 minutes from the server's clock")
        return session


class RecordAgentEvent:
    """One event (the batch form with a batch of one): its session's status after it."""

    def __init__(self, *, record: RecordAgentEvents) -> None:
        self._record = record

    def __call__(self, cmd: AgentEventCommand) -> AgentStatus:
        [outcome] = self._record([cmd])
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome


def status_notice(session: AgentSession, tenant_id: int | None) -> Notice:
    """What the session's user hears about its transition (never a secret: names only)."""
    assert session.id is not None
    since = session.status_since or session.started_at
    said = {
        AgentStatus.WAITING: "is waiting for you",
        AgentStatus.FINISHED: "finished its turn",
        AgentStatus.FAILED: "failed",
    }[session.status]
    return Notice(
        event=NoticeEvent(session.status.value),
        user_id=session.user_id,
        tenant_id=tenant_id,
        dedup_key=f"session:{session.id}:{session.status.value}:{since.isoformat()}",
        title=f"Session {session.id} ({session.tool.value}) {said}",
        body=f"{session.tool.value} in {session.target} {said} since {since:%H:%M:%S} UTC.",
        link=f"/sessions/{session.id}",
    )


class ListSessionEvents:
    """The transitions of a session the actor may see (404 otherwise), newest first."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(
        self, session_id: int, actor: Actor = SYSTEM, limit: int = 100
    ) -> Sequence[AgentEvent]:
        with self._uow(read_only=True) as uow:
            _visible_session(uow, actor, session_id)
            return uow.agent_events.list(session_id, limit)
