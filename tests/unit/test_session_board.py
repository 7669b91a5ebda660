"""The live board of sessions and its change marker (issue 18), against the in-memory unit of
work, and the session stream's decisions (what is sent, when it ends) over in-memory reads."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from aiops import bootstrap
from aiops.domain.model.access import Actor
from aiops.domain.model.sessions import AgentSession, AgentStatus, StatusSource, Tool
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.session_board import (
    LiveSessions,
    ReadLiveSessions,
    ReadSessionBoard,
    SessionBoard,
    SessionChangesMarker,
)
from aiops.domain.usecases.sessions import _may_see
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.entrypoints.http.live import LiveStreams, LiveTiming, SessionFeed, Watch, board_stream
from tests.event_loops import run_coroutine
from tests.fakes import FakeUnitOfWork

MOMENT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
IVO, MAX, OLGA, GUS = "ivo@example.com", "max@example.com", "olga@example.com", "gus@example.com"


class World:
    """acme/web: ivo and max members, olga owner; globex/api: gus owner."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        app = bootstrap(uow=self.uow)
        app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex"))
        self.web = app.create_project()(
            CreateProjectCommand(tenant="acme", slug="web", name="W")
        ).id
        self.api = app.create_project()(
            CreateProjectCommand(tenant="globex", slug="api", name="A")
        ).id
        for email, tenant, role in (
            (IVO, "acme", "member"),
            (MAX, "acme", "member"),
            (OLGA, "acme", "owner"),
            (GUS, "globex", "owner"),
        ):
            app.create_user()(CreateUserCommand(email=email, name=email.split("@")[0]))
            app.add_member()(AddMemberCommand(tenant=tenant, email=email, role=role))
        self.board = ReadSessionBoard(uow=self.uow)
        self.marker = SessionChangesMarker(uow=self.uow)

    def actor(self, email: str) -> Actor:
        with self.uow as uow:
            user = uow.users.get_by_email(email)
            assert user is not None
            return actor_for(uow, user)

    def launch(self, email: str, project_id: int | None, **fields: object) -> AgentSession:
        actor = self.actor(email)
        assert actor.user_id is not None
        assert project_id is not None
        session = AgentSession(
            user_id=actor.user_id,
            project_id=project_id,
            tool=Tool.CLAUDE,
            linux_user="acct",
            tmux_socket="/tmp/tmux-1000/default",
            tmux_session=f"p-p{project_id}",
            tmux_window=f"w{actor.user_id}",
            started_at=MOMENT,
        )
        with self.uow as uow:
            added = uow.agent_sessions.add(attrs.evolve(session, **fields))
            uow.commit()
        return added

    def change(self, session: AgentSession, **fields: object) -> AgentSession:
        with self.uow as uow:
            changed = uow.agent_sessions.update(attrs.evolve(session, **fields))
            uow.commit()
        return changed


@pytest.fixture
def world() -> World:
    return World()


def ids(board: SessionBoard) -> list[int | None]:
    return [e.session.id for e in board.entries]


def test_the_board_shows_what_the_sessions_page_would_and_marks_your_own(world: World) -> None:
    ivo = world.launch(IVO, world.web, status=AgentStatus.WAITING)
    max_ = world.launch(MAX, world.web, status=AgentStatus.WAITING)
    shared = world.launch(MAX, world.web, shared=True)
    other = world.launch(GUS, world.api, status=AgentStatus.WAITING)
    world.launch(IVO, world.web, status=AgentStatus.EXITED)

    mine = world.board(world.actor(IVO))
    assert ids(mine) == [ivo.id, shared.id]  # not max's private one, not globex's, not exited
    assert [e.mine for e in mine.entries] == [True, False]
    assert mine.waiting_mine == 1
    owner = world.board(world.actor(OLGA))
    assert ids(owner) == [ivo.id, max_.id, shared.id]  # every session of the tenant
    assert owner.waiting_mine == 0  # others' waiting sessions do not count for you
    assert ids(world.board(world.actor(GUS))) == [other.id]
    assert world.board(world.actor(MAX)).waiting_mine == 1


def test_the_board_decides_as_the_sessions_page_does_for_every_role(world: World) -> None:
    """`may_see` over the tenants read at once agrees with `_may_see` (ListSessions's check)."""
    for email, project, shared in (
        (IVO, world.web, False), (IVO, world.web, True), (MAX, world.web, False),
        (OLGA, world.web, False), (GUS, world.api, False), (GUS, world.api, True),
    ):  # fmt: skip
        world.launch(email, project, shared=shared)
    for email in (IVO, MAX, OLGA, GUS):
        actor = world.actor(email)
        with world.uow as uow:
            page = [s.id for s in uow.agent_sessions.list(live=True) if _may_see(uow, actor, s)]
        assert ids(world.board(actor)) == page


def test_the_board_shows_the_stored_status_fields(world: World) -> None:
    since = MOMENT + timedelta(minutes=3)
    world.launch(
        IVO, world.web, status=AgentStatus.FINISHED, status_since=since,
        status_source=StatusSource.HOOK,
    )  # fmt: skip

    [entry] = world.board(world.actor(IVO)).entries
    assert (entry.session.status, entry.session.status_since) == (AgentStatus.FINISHED, since)
    assert entry.session.status_source is StatusSource.HOOK


def test_the_marker_stays_while_nothing_changes_and_moves_with_every_change(
    world: World,
) -> None:
    seen = [world.marker()]

    def moved() -> bool:
        seen.append(world.marker())
        return seen[-1] != seen[-2]

    assert not moved()
    session = world.launch(IVO, world.web)
    assert moved()  # a launch
    assert not moved()
    session = world.change(
        session, status=AgentStatus.WAITING, status_since=MOMENT + timedelta(seconds=5)
    )
    assert moved()  # a status change
    session = world.change(session, shared=True)
    assert moved()  # shared: others may now see it
    world.change(session, status=AgentStatus.EXITED)
    assert moved()  # the end
    assert world.board(world.actor(IVO)).marker == seen[-1]


# --- the stream's decisions, over the in-memory unit of work --------------------------------


@attrs.define
class Viewer:
    """The stream's viewer, changed by the test between chunks."""

    actor: Actor | None
    gone: bool = False

    def watch(self) -> Watch:
        async def gone() -> bool:
            return self.gone

        return Watch(viewer=lambda: self.actor, gone=gone)


FAST = LiveTiming(poll_seconds=0.01, keepalive_seconds=0.05, recheck_seconds=0.03)


@attrs.define
class Counted:
    """The live-sessions read, counted."""

    read: ReadLiveSessions
    calls: int = 0

    def __call__(self) -> LiveSessions:
        self.calls += 1
        return self.read()


def feed_of(world: World, reads: Counted) -> SessionFeed:
    return SessionFeed(lambda: world.marker, lambda: reads, lambda: FAST.poll_seconds)


def collect(
    world: World,
    viewers: list[Viewer],
    steps: list[Callable[[], None]],
    timing: LiveTiming = FAST,
    reads: Counted | None = None,
) -> list[list[str]]:
    """Each viewer's stream's chunks, all on one feed; each step runs after the first
    viewer's next chunk; the clients leave once the steps are done and 40 chunks came."""
    reads = reads or Counted(ReadLiveSessions(uow=world.uow))
    feed = feed_of(world, reads)
    streams = LiveStreams()

    async def follow(viewer: Viewer, chunks: list[str], leader: bool) -> None:
        assert viewer.actor is not None
        first = await feed.first()
        stream = board_stream(feed, viewer.watch(), viewer.actor, first, timing=timing,
                              streams=streams)  # fmt: skip
        async for chunk in stream:
            chunks.append(chunk)
            assert streams.open >= 1
            if not leader:
                continue
            if steps:
                steps.pop(0)()
            elif len(chunks) > 40:
                for each in viewers:
                    each.gone = True

    async def run() -> list[list[str]]:
        found: list[list[str]] = [[] for _ in viewers]
        await asyncio.gather(
            *(follow(v, c, n == 0) for n, (v, c) in enumerate(zip(viewers, found, strict=True)))
        )
        assert streams.open == 0
        assert feed._task is None  # the last stream out stopped the poll
        return found

    return run_coroutine(run())


def boards(chunks: list[str]) -> list[dict[str, object]]:
    found = []
    for chunk in chunks:
        if chunk.startswith("event: sessions\n"):
            found.append(json.loads(chunk.split("data: ", 1)[1]))
    return found


def test_the_stream_sends_a_board_only_when_it_changed_and_keeps_the_line_alive(
    world: World,
) -> None:
    session = world.launch(IVO, world.web)
    others = world.launch(GUS, world.api)
    viewer = Viewer(world.actor(IVO))

    def someone_elses_change() -> None:  # globex's: nothing to send ivo
        world.change(others, status=AgentStatus.WAITING, status_since=MOMENT)

    def waiting() -> None:
        world.change(session, status=AgentStatus.WAITING, status_since=MOMENT)

    def leave() -> None:
        viewer.gone = True

    [chunks] = collect(world, [viewer], [lambda: None, someone_elses_change, waiting, leave])

    assert chunks[0].startswith("retry: ")
    sent = boards(chunks)
    assert [b["waiting_mine"] for b in sent] == [0, 1]
    assert sent[1]["sessions"] == [
        {
            "id": session.id,
            "status": "waiting",
            "status_since": MOMENT.isoformat(),
            "status_source": "pane",
            "tool": "claude",
            "project_id": world.web,
            "issue_id": None,
            "user_id": session.user_id,
            "mine": True,
        }
    ]
    assert ": keep-alive\n\n" in chunks


def test_streams_share_one_read_per_change_and_each_gets_its_own_board(world: World) -> None:
    """Three viewers on one feed: each change is read once, whatever the number of streams."""
    session = world.launch(IVO, world.web)
    viewers = [Viewer(world.actor(IVO)), Viewer(world.actor(OLGA)), Viewer(world.actor(GUS))]
    reads = Counted(ReadLiveSessions(uow=world.uow))

    def waiting() -> None:
        world.change(session, status=AgentStatus.WAITING, status_since=MOMENT)

    ivo, olga, gus = collect(world, viewers, [lambda: None, lambda: None, waiting], reads=reads)

    assert [b["waiting_mine"] for b in boards(ivo)] == [0, 1]
    assert [b["waiting_mine"] for b in boards(olga)] == [0, 0]  # sees it; not hers
    assert [[s["status"] for s in b["sessions"]] for b in boards(olga)] == [["working"], ["waiting"]]  # fmt: skip
    assert [b["sessions"] for b in boards(gus)] == [[]]  # another tenant: nothing, not even news
    assert reads.calls == 3 + 1  # each stream's first look, then one read for the change


def test_the_stream_ends_when_the_viewer_signed_out(world: World) -> None:
    viewer = Viewer(world.actor(IVO))

    def sign_out() -> None:
        viewer.actor = None

    [chunks] = collect(world, [viewer], [lambda: None, sign_out],
                       LiveTiming(poll_seconds=0.01, recheck_seconds=0.02))  # fmt: skip
    assert len(boards(chunks)) == 1
    assert len(chunks) == 2  # retry, the first board: then nothing (it ended)
