"""The terminal's WebSocket (/sessions/{id}/terminal, issue 17) over Starlette's TestClient on
both databases: the handshake's refusals, who types and who watches, resize, ping, sign-out,
revocation, idle, and the audit. tmux and the accounts are in memory; the terminal is a real
pty running a small program (pty_terminals.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from dependency_injector import providers
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from aiops.domain.usecases.auth import CreateTokenCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand
from aiops.entrypoints.http.terminal import MAX_FRAME, TerminalTiming
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import (
    PASSWORD,
    Sessions,
    World,
    bearer,
    csrf,
    post_form,
    sign_in,
)
from tests.integration.http.pty_terminals import PtyTerminals

MIA = "mia@example.com"  # another member of acme, with no Linux account: she only watches
ORIGIN = {"origin": "http://testserver"}


@attrs.define
class Term:
    sessions: Sessions
    pty: PtyTerminals
    session_id: int

    @property
    def client(self) -> TestClient:
        return self.sessions.client

    def url(self, path: str | None = None, **query: str) -> str:
        if "csrf" not in query:
            query["csrf"] = csrf(self.client, "/profile")
        return (
            (path or f"/sessions/{self.session_id}/terminal")
            + "?"
            + "&".join(f"{k}={v}" for k, v in query.items())
        )

    def connect(self, headers: dict[str, str] | None = None, **query: str) -> Any:
        return self.client.websocket_connect(self.url(**query), headers=ORIGIN | (headers or {}))

    def share(self, shared: bool) -> None:
        response = self.client.patch(
            f"/api/v1/sessions/{self.session_id}",
            json={"shared": shared},
            headers=bearer(self.sessions.world, World.MEMBER),
        )
        assert response.status_code == 200, response.text

    def audit(self) -> list[tuple[str, str, object]]:
        with self.sessions.app.uow() as uow:
            events = uow.audit.list(AuditQuery())
        return [
            (e.actor, e.action, e.detail.get("read_only"))
            for e in reversed(events)
            if e.action.startswith("terminal.")
        ]


@pytest.fixture
def term(sessions: Sessions, tmp_path: Path) -> Iterator[Term]:
    app, world = sessions.app, sessions.world
    app.create_user()(CreateUserCommand(email=MIA, name="Mia"))
    app.set_password()(SetPasswordCommand(email=MIA, password=PASSWORD))
    app.add_member()(AddMemberCommand(tenant="acme", email=MIA, role="member"))
    pty = PtyTerminals(tmp_path)
    app.terminals.override(providers.Object(pty))
    launched = sessions.client.post(
        "/api/v1/sessions",
        json={"project_id": world.web_id, "tool": "shell"},
        headers=bearer(world, World.MEMBER),
    )
    assert launched.status_code == 201, launched.text
    yield Term(sessions, pty, launched.json()["id"])
    for client in pty.clients:
        client.close()


def read_until(ws: Any, marker: bytes) -> bytes:
    """Screen bytes until `marker` shows (the test's timeout guards a hang)."""
    seen = b""
    while marker not in seen:
        message = ws.receive()
        assert message["type"] == "websocket.send", message
        if message.get("bytes") is not None:
            seen += message["bytes"]
    return seen


def closed(ws: Any) -> tuple[dict[str, Any], int]:
    """The `closed` message (screen bytes before it skipped) and the close code."""
    while True:
        message = ws.receive()
        if message.get("text"):
            said = json.loads(message["text"])
            if said["type"] == "closed":
                break
    with pytest.raises(WebSocketDisconnect) as gone:
        ws.receive_text()
    return said, gone.value.code


def refusal(term: Term, headers: dict[str, str] | None = None, **query: str) -> int:
    with pytest.raises(WebSocketDenialResponse) as denied, term.connect(headers, **query):
        pass
    return denied.value.status_code


def test_a_foreign_or_missing_origin_is_refused_with_403(term: Term) -> None:
    sign_in(term.client, World.MEMBER)
    url = term.url()

    foreign = refusal(term, {"origin": "https://evil.example"})
    with pytest.raises(WebSocketDenialResponse) as missing, term.client.websocket_connect(url):
        pass

    assert (foreign, missing.value.status_code) == (403, 403)
    assert term.pty.clients == []


def test_no_cookie_or_a_bad_csrf_token_is_refused_with_403(term: Term) -> None:
    anonymous = refusal(term, csrf=csrf(term.client, "/login"))
    sign_in(term.client, World.MEMBER)
    bad = refusal(term, csrf="forged")

    assert (anonymous, bad) == (403, 403)
    assert term.pty.clients == []


@pytest.mark.parametrize("who", [World.OTHER_OWNER, World.VIEWER, MIA, World.NOBODY])
def test_those_who_may_not_see_the_session_get_404(term: Term, who: str) -> None:
    sign_in(term.client, who)

    assert refusal(term) == 404
    assert term.pty.clients == []
    assert term.audit() == []


def test_a_missing_session_is_404_too(term: Term) -> None:
    sign_in(term.client, World.ADMIN)
    url = term.url(path="/sessions/999999/terminal")

    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        term.client.websocket_connect(url, headers=ORIGIN),
    ):
        pass
    assert denied.value.status_code == 404


def test_bad_sizes_are_refused_with_400(term: Term) -> None:
    sign_in(term.client, World.MEMBER)

    assert refusal(term, cols="0") == 400
    assert refusal(term, rows="abc") == 400


def test_the_writer_types_resizes_and_pings_and_the_attach_is_audited(term: Term) -> None:
    sign_in(term.client, World.MEMBER)

    with term.connect(cols="100", rows="30") as ws:
        hello = ws.receive_json()
        read_until(ws, b"ready")
        ws.send_bytes(b"echo hello-42\n")
        echoed = read_until(ws, b"hello-42")
        _until(lambda: term.pty.typed == b"echo hello-42\n")  # the program read it
        ws.send_text(json.dumps({"type": "resize", "cols": 132, "rows": 40}))
        ws.send_text(json.dumps({"type": "resize", "cols": 5000, "rows": 40}))  # ignored
        ws.send_text(json.dumps({"type": "ping"}))
        pong = _next_text(ws)

    assert hello == {"type": "hello", "read_only": False, "session": term.session_id}
    assert b"hello-42" in echoed
    assert pong == {"type": "pong"}
    [client] = term.pty.clients
    assert client.sizes == [(100, 30), (132, 40)]
    assert client.read_only is False
    _until(lambda: client.closed)
    assert term.pty.typed == b"echo hello-42\n"
    _until(lambda: len(term.audit()) == 2)
    assert term.audit() == [
        (World.MEMBER, "terminal.attached", False),
        (World.MEMBER, "terminal.detached", False),
    ]


def test_a_member_watches_a_shared_session_and_never_types(term: Term) -> None:
    term.share(True)
    sign_in(term.client, MIA)

    with term.connect() as ws:
        hello = ws.receive_json()
        read_until(ws, b"ready")
        ws.send_bytes(b"rm -rf ~\n")
        ws.send_text(json.dumps({"type": "ping"}))
        _next_text(ws)  # the input before the ping has been handled by then

    [client] = term.pty.clients
    assert hello == {"type": "hello", "read_only": True, "session": term.session_id}
    assert client.read_only is True
    _until(lambda: len(term.audit()) == 2)
    assert term.pty.typed == b""
    assert term.audit() == [(MIA, "terminal.attached", True), (MIA, "terminal.detached", True)]


def test_a_preview_of_the_writer_only_watches(term: Term) -> None:
    sign_in(term.client, World.MEMBER)

    with term.connect(view="preview") as ws:
        hello = ws.receive_json()
        read_until(ws, b"ready")
        ws.send_bytes(b"echo never\n")
        ws.send_text(json.dumps({"type": "ping"}))
        _next_text(ws)  # the input before the ping has been handled by then

    [client] = term.pty.clients
    assert hello == {"type": "hello", "read_only": True, "session": term.session_id}
    assert client.read_only is True  # a watcher's size never counts (ignore-size)
    _until(lambda: len(term.audit()) == 2)
    assert term.pty.typed == b""
    assert term.audit() == [
        (World.MEMBER, "terminal.attached", True),
        (World.MEMBER, "terminal.detached", True),
    ]


def test_signing_out_closes_the_terminal_with_4401(term: Term) -> None:
    term.client.app.state.terminal_timing = TerminalTiming(recheck_seconds=0.2)
    sign_in(term.client, World.MEMBER)
    token = csrf(term.client, "/profile")

    with term.connect() as ws:
        ws.receive_json()
        read_until(ws, b"ready")
        term.client.post("/logout", data={"csrf_token": token})
        said, code = closed(ws)

    assert (said["reason"], code) == ("signed-out", 4401)


def test_unsharing_revokes_a_watcher_with_4403(term: Term) -> None:
    term.client.app.state.terminal_timing = TerminalTiming(recheck_seconds=0.2)
    term.share(True)
    sign_in(term.client, MIA)

    with term.connect() as ws:
        ws.receive_json()
        term.share(False)
        said, code = closed(ws)

    assert (said["reason"], code) == ("revoked", 4403)


def test_an_idle_terminal_closes(term: Term) -> None:
    term.client.app.state.terminal_timing = TerminalTiming(idle_seconds=0.5)
    sign_in(term.client, World.MEMBER)

    started = time.monotonic()
    with term.connect() as ws:
        ws.receive_json()
        said, code = closed(ws)

    assert (said["reason"], code) == ("idle", 1000)
    assert 0.5 <= time.monotonic() - started < 10


def test_a_stopped_session_is_ended_not_retried(term: Term) -> None:
    sign_in(term.client, World.MEMBER)
    post_form(term.client, f"/sessions/{term.session_id}/stop", {})

    with term.connect() as ws:
        said, code = closed(ws)

    assert (said["reason"], code) == ("ended", 1000)
    assert term.pty.clients == []


def test_a_window_gone_at_attach_is_ended_and_audited_both_ways(term: Term) -> None:
    term.pty.missing.add("max-shell")
    sign_in(term.client, World.MEMBER)

    with term.connect() as ws:
        said, code = closed(ws)

    assert (said["reason"], code) == ("ended", 1000)
    _until(lambda: len(term.audit()) == 2)
    assert [action for _, action, _ in term.audit()] == ["terminal.attached", "terminal.detached"]


def test_a_flood_comes_in_bounded_frames_and_pings_still_get_answers(term: Term) -> None:
    term.pty.flood = True
    sign_in(term.client, World.MEMBER)

    sizes = []
    with term.connect() as ws:
        ws.receive_json()
        ws.send_text(json.dumps({"type": "ping"}))
        pong = None
        while pong is None or len(sizes) < 50:
            message = ws.receive()
            if message.get("text"):
                pong = json.loads(message["text"])
            else:
                sizes.append(len(message["bytes"]))

    assert pong == {"type": "pong"}
    assert sizes
    assert max(sizes) <= MAX_FRAME


def test_the_session_page_shares_and_unshares_with_its_csrf_field(term: Term) -> None:
    sign_in(term.client, World.MEMBER)
    page = term.client.get(f"/sessions/{term.session_id}")

    shared = post_form(term.client, f"/sessions/{term.session_id}/share", {"shared": "true"})
    api = term.client.get(
        f"/api/v1/sessions/{term.session_id}", headers=bearer(term.sessions.world, World.MEMBER)
    )
    forged = term.client.post(f"/sessions/{term.session_id}/share", data={"shared": "false"})
    term.client.post("/logout", data={"csrf_token": csrf(term.client, "/profile")})
    sign_in(term.client, MIA)
    watcher_page = term.client.get(f"/sessions/{term.session_id}")

    assert "Share with the tenant" in page.text
    assert shared.status_code == 303
    assert api.json()["shared"] is True
    assert forged.status_code == 403
    assert watcher_page.status_code == 200
    assert "Stop sharing" not in watcher_page.text
    assert "Stop</button>" not in watcher_page.text


def test_the_api_lets_only_the_user_and_owners_share(term: Term) -> None:
    world = term.sessions.world
    url = f"/api/v1/sessions/{term.session_id}"

    mia = term.sessions.app.create_token()(CreateTokenCommand(email=MIA, name="t")).secret
    tokens = {**world.tokens, MIA: mia}

    def patch(who: str, body: object) -> int:
        response = term.client.patch(
            url, json=body, headers={"Authorization": f"Bearer {tokens[who]}"}
        )
        return response.status_code

    statuses = {
        "member, unshared": patch(MIA, {"shared": True}),
        "viewer": patch(World.VIEWER, {"shared": True}),
        "other tenant": patch(World.OTHER_OWNER, {"shared": True}),
        "owner": patch(World.OWNER, {"shared": True}),
        "member, watching": patch(MIA, {"shared": False}),
        "bad body": patch(World.MEMBER, {"shared": "yes"}),
        "unknown key": patch(World.MEMBER, {"shared": True, "x": 1}),
    }
    listed = term.client.get("/api/v1/sessions", headers={"Authorization": f"Bearer {mia}"})

    assert statuses == {
        "member, unshared": 404,
        "viewer": 404,
        "other tenant": 404,
        "owner": 200,
        "member, watching": 403,
        "bad body": 400,
        "unknown key": 400,
    }
    assert [(s["id"], s["shared"]) for s in listed.json()] == [(term.session_id, True)]


def _next_text(ws: Any) -> dict[str, Any]:
    while True:
        message = ws.receive()
        if message.get("text"):
            said: dict[str, Any] = json.loads(message["text"])
            return said


def _until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
