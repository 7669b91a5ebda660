"""`GET /events/sessions` on both databases, served on a real port and read while it is
written: a status stored in the database reaches the stream within a second, another tenant's
session never does, the signed-out are refused, a client that leaves ends its stream; and the
server's own pane refresh marks a vanished window exited with no page asking."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import insert
from starlette.testclient import TestClient

from aiops.adapters.sqlalchemy import tables as t
from aiops.container import Container
from aiops.domain.model.sessions import AgentSession, AgentStatus, StatusSource, Tool
from aiops.entrypoints.http.app import create_app
from aiops.entrypoints.http.live import LiveTiming
from tests.integration.http.conftest import World, sign_in
from tests.integration.http.sse import Stream, read_sse, serving
from tests.integration.http.test_automation import Live

STREAM = "/events/sessions"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def add_session(app: Container, email: str, project_id: int, **fields: object) -> AgentSession:
    with app.uow() as uow:
        user = uow.users.get_by_email(email)
        assert user is not None
        assert user.id is not None
        session = AgentSession(
            user_id=user.id,
            project_id=project_id,
            tool=Tool.CLAUDE,
            linux_user=user.username,
            tmux_socket="/tmp/tmux-1000/default",
            tmux_session=f"p-p{project_id}",
            tmux_window=f"{user.username}-claude",
            started_at=T0,
        )
        added = uow.agent_sessions.add(attrs.evolve(session, **fields))
        uow.commit()
    return added


def user_id(app: Container, email: str) -> int | None:
    with app.uow(read_only=True) as uow:
        user = uow.users.get_by_email(email)
    return user.id if user else None


def store_status(app: Container, session: AgentSession, status: AgentStatus) -> AgentSession:
    """What the agent-event use case does: the record's status fields and the event behind it."""
    now = datetime.now(UTC)
    changed = attrs.evolve(
        session, status=status, status_since=now, status_source=StatusSource.HOOK
    )
    with app.uow() as uow:
        uow.agent_sessions.update(changed)
        uow.commit()
    with app.engine().begin() as connection:
        connection.execute(
            insert(t.agent_events).values(
                session_id=session.id, event_id=None, event="Notification",
                status=status.value, source="hook", at=now,
            )
        )  # fmt: skip
    return changed


@pytest.fixture
def live(app: Container, world: World) -> Iterator[Live]:
    """The app on a real port, the member (max) signed in."""
    asgi = create_app(app)
    asgi.state.live_timing = LiveTiming(keepalive_seconds=0.3)  # the reader checks in often
    with serving(asgi) as base, httpx.Client(base_url=base, follow_redirects=False) as client:
        sign_in(client, World.MEMBER)  # type: ignore[arg-type]
        yield Live(base=base, asgi=asgi, cookies=client.cookies)


def boards(stream: Stream) -> list[Any]:
    return [m.payload for m in stream.messages if m.event == "sessions"]


@pytest.mark.serial  # a wall-time target: never beside other tests' workers
def test_a_stored_status_reaches_the_stream_within_a_second_and_others_never(
    app: Container, world: World, live: Live
) -> None:
    mine = add_session(app, World.MEMBER, world.web_id)
    theirs = add_session(app, World.OTHER_OWNER, world.api_id)
    private = add_session(app, World.OWNER, world.web_id)  # olga's, not shared: max may not see
    stored: dict[str, float] = {}
    arrived: dict[str, float] = {}

    def change() -> None:
        store_status(app, theirs, AgentStatus.WAITING)  # not max's business: nothing is sent
        store_status(app, private, AgentStatus.WAITING)
        time.sleep(0.6)
        stored["waiting"] = time.monotonic()
        store_status(app, mine, AgentStatus.WAITING)
        time.sleep(0.6)
        stored["exited"] = time.monotonic()
        store_status(app, mine, AgentStatus.EXITED)

    def note(stream: Stream) -> bool:
        seen = boards(stream)
        if len(seen) == 1 and "started" not in stored:
            stored["started"] = time.monotonic()
            threading.Thread(target=change).start()
        for board in seen:
            key = "waiting" if board["waiting_mine"] else "exited" if not board["sessions"] else ""
            if key and key not in arrived and len(seen) > 1:
                arrived[key] = time.monotonic()
        return "exited" in arrived or time.monotonic() - stored.get("started", 1e12) > 8

    with (
        httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client,
        client.stream("GET", STREAM) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = read_sse(response.iter_lines(), stop=note)

    seen = boards(stream)
    assert stream.retry == 2000
    assert seen[0] == {
        "sessions": [
            {
                "id": mine.id, "status": "working", "status_since": T0.isoformat(),
                "status_source": "pane", "tool": "claude", "project_id": world.web_id,
                "issue_id": None, "user_id": mine.user_id, "mine": True,
            }
        ],
        "waiting_mine": 0,
    }  # fmt: skip
    assert [(b["waiting_mine"], [s["status"] for s in b["sessions"]]) for b in seen] == [
        (0, ["working"]),
        (1, ["waiting"]),
        (0, []),
    ]
    assert seen[1]["sessions"][0]["status_source"] == "hook"
    ids = {s["id"] for b in seen for s in b["sessions"]}
    assert ids == {mine.id}  # never globex's, never olga's private one
    lags = [arrived[key] - stored[key] for key in ("waiting", "exited")]
    assert max(lags) < 1.0, lags


def test_each_role_sees_the_sessions_the_sessions_page_would_show(
    app: Container, world: World
) -> None:
    """The stream's row of the authorization matrix (it never ends, so it is read here)."""
    expected = {
        World.VIEWER: set(),  # a shared session is for members (USE), as on the page
        World.MEMBER: {"max", "max_shared"},
        World.OWNER: {"max", "max_shared", "olga"},
        World.OTHER_OWNER: {"gus"},
        World.ADMIN: {"max", "max_shared", "olga", "gus"},
        World.NOBODY: set(),
    }
    seen: dict[str, set[str]] = {}
    with serving(create_app(app)) as base:  # started: its reconcile ran (these have no tmux)
        made = {
            "max": add_session(app, World.MEMBER, world.web_id),
            "max_shared": add_session(app, World.MEMBER, world.web_id, shared=True,
                                      tmux_window="max-shell"),
            "olga": add_session(app, World.OWNER, world.web_id),
            "gus": add_session(app, World.OTHER_OWNER, world.api_id),
        }  # fmt: skip
        names = {s.id: name for name, s in made.items()}
        made_by = {email: user_id(app, email) for email in expected}
        with httpx.Client(base_url=base) as anonymous:
            assert anonymous.get(STREAM).status_code == 401
        for email in expected:
            with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
                sign_in(client, email)  # type: ignore[arg-type]
                with client.stream("GET", STREAM) as response:
                    assert response.status_code == 200
                    stream = read_sse(response.iter_lines(), stop=lambda s: bool(boards(s)))
            [board] = boards(stream)
            seen[email] = {names[row["id"]] for row in board["sessions"]}
            mine = {names[row["id"]] for row in board["sessions"] if row["mine"]}
            assert mine == {n for n in seen[email] if made[n].user_id == made_by[email]}
    assert seen == expected


def test_the_signed_out_are_refused_and_pages_load_the_script_only_for_the_signed_in(
    app: Container, world: World, client: TestClient
) -> None:
    refused = client.get(STREAM)
    login = client.get("/login")
    sign_in(client, World.MEMBER)
    page = client.get("/sessions")

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert "/static/live.js" not in login.text
    assert '<script src="/static/live.js" defer></script>' in page.text
    assert 'id="notify-me"' in page.text
    assert client.get("/static/live.js").status_code == 200
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg")


def test_a_client_that_leaves_ends_its_stream(app: Container, live: Live) -> None:
    live.asgi.state.live_timing = LiveTiming(poll_seconds=0.05, keepalive_seconds=60)
    streams = live.asgi.state.live_streams
    open_while_read: list[int] = []

    def first_board(stream: Stream) -> bool:
        open_while_read.append(streams.open)
        return bool(boards(stream))

    with (
        httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client,
        client.stream("GET", STREAM) as response,
    ):
        first = read_sse(response.iter_lines(), stop=first_board)  # then the client hangs up
    deadline = time.monotonic() + 3
    while streams.open and time.monotonic() < deadline:
        time.sleep(0.05)

    assert boards(first) == [{"sessions": [], "waiting_mine": 0}]
    assert open_while_read[-1] == 1
    assert streams.open == 0  # ended, though it had nothing to send


def test_a_session_signed_out_everywhere_stops_getting_the_board(
    app: Container, world: World, live: Live
) -> None:
    live.asgi.state.live_timing = LiveTiming(poll_seconds=0.05, recheck_seconds=0.2)
    with (
        httpx.Client(base_url=live.base, cookies=live.cookies, timeout=30) as client,
        client.stream("GET", STREAM) as response,
    ):
        with app.uow() as uow:
            user = uow.users.get_by_email(World.MEMBER)
            assert user is not None
            assert user.id is not None
            uow.users.revoke_sessions(user.id)
            uow.commit()
        started = time.monotonic()
        stream = read_sse(response.iter_lines())  # returns when the server ends it
    assert len(boards(stream)) == 1
    assert time.monotonic() - started < 3


def test_the_issues_page_shows_the_status_of_each_issues_sessions(
    app: Container, world: World, client: TestClient
) -> None:
    from tests.integration.http.test_agent_context import add_issue

    issue_id = add_issue(app, world.web_id, "7")
    session = add_session(app, World.MEMBER, world.web_id, issue_id=issue_id,
                          status=AgentStatus.WAITING)  # fmt: skip
    sign_in(client, World.MEMBER)
    page = client.get("/issues").text

    assert f'data-live-issue="{issue_id}"' in page
    assert f'class="session-badge status-waiting" href="/sessions/{session.id}"' in page
    assert f'data-session-id="{session.id}"' in page


def test_the_server_marks_a_vanished_window_exited_with_no_page_asking(
    app: Container, world: World, tmp_path: Any
) -> None:
    from tests.fakes import FakeLinuxUsers, FakeTmuxSessions
    from tests.fakes.agent_status import FakeAgentHooks
    from tests.integration.http.test_authorization_matrix import with_workspaces

    tmux = FakeTmuxSessions()
    app.gateways.tmux_sessions.override(providers.Object(tmux))
    app.gateways.linux_users.override(providers.Object(FakeLinuxUsers("max", "ada")))
    app.gateways.agent_hooks.override(providers.Object(FakeAgentHooks()))
    app.workspace_policy.override(
        providers.Object(attrs.evolve(app.workspace_policy(), linux_user_strategy="direct"))
    )
    app.settings.override(
        providers.Object(attrs.evolve(app.settings(), session_refresh_seconds=0.2))
    )
    with_workspaces(app, world, tmp_path)
    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, World.MEMBER)
        launched = client.post(
            "/api/v1/sessions",
            headers={"Authorization": f"Bearer {world.tokens[World.MEMBER]}"},
            json={"project_id": world.web_id, "tool": "codex"},
        )
        assert launched.status_code == 201, launched.text
        session_id = launched.json()["id"]
        [spec] = tmux.launched
        tmux.drop(spec.socket, spec.session, spec.window)
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline:
            with app.uow(read_only=True) as uow:
                found = uow.agent_sessions.get(session_id)
            assert found is not None
            status = found.status
            if status is AgentStatus.EXITED:
                break
            time.sleep(0.05)
        assert status is AgentStatus.EXITED
        assert client.app.state.pane_refresh.rounds >= 1  # type: ignore[attr-defined]


def test_a_refresh_setting_of_zero_starts_no_task(app: Container, world: World) -> None:
    asgi = create_app(app)  # the test settings say 0
    with TestClient(asgi):
        time.sleep(0.1)
        assert asgi.state.pane_refresh._task is None
