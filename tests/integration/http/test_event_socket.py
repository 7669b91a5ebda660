"""The agent-event unix socket (issue 18) with a real socket and real accounts: the peer's uid
(SO_PEERCRED) must be the session's account's; replies come one line per line, in order."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from aiops.container import Container
from aiops.domain.model.sessions import AgentSession, Tool
from aiops.entrypoints.http.agent_events import EventSocket, EventWriter
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import needs_root, open_folder, throwaway_account
from tests.event_loops import run_coroutine
from tests.fakes import FakeLinuxUsers
from tests.integration.http.conftest import World

CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
reply = b""
while chunk := s.recv(65536):
    reply += chunk
sys.stdout.buffer.write(reply)
"""


@pytest.fixture
def accounts() -> Iterator[tuple[LinuxAccount, LinuxAccount]]:
    with throwaway_account("aiops-ev") as owner, throwaway_account("aiops-ev") as other:
        yield owner, other


@pytest.fixture
def folder() -> Iterator[Path]:
    made = open_folder("aiops-events-")
    yield made
    shutil.rmtree(made, ignore_errors=True)


def known_accounts(app: Container, *accounts: LinuxAccount) -> None:
    """The app looks these accounts up with their real uids (and no other)."""
    users = FakeLinuxUsers()
    for account in accounts:
        users.add(account.name, account.uid)
    app.gateways.linux_users.override(providers.Object(users))


def record_session(app: Container, world: World, account: LinuxAccount) -> tuple[int, str]:
    with app.uow() as uow:
        users = {u.email: u for u in uow.users.list()}
        made = uow.agent_sessions.add(
            AgentSession(
                user_id=users[World.MEMBER].id or 0,
                project_id=world.web_id,
                tool=Tool.CLAUDE,
                linux_user=account.name,
                tmux_socket=f"/tmp/tmux-{account.uid}/default",
                tmux_session=f"web-p{world.web_id}",
                tmux_window="max-claude",
                started_at=datetime.now(UTC),
            )
        )
        uow.commit()
    assert made.id is not None
    return made.id, app.session_tokens().issue(made.id, account.name)


def line(session_id: int, token: str, name: str = "Notification", **fields: object) -> bytes:
    event = {
        "session_id": session_id,
        "tool": "claude",
        "event": name,
        "event_id": secrets.token_hex(16),
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "detail": {},
        "token": token,
        **fields,
    }
    return json.dumps(event).encode() + b"\n"


async def send_as(account: LinuxAccount, path: str, payload: bytes) -> list[dict[str, object]]:
    client = await asyncio.create_subprocess_exec(
        "/usr/bin/python3", "-I", "-c", CLIENT, path,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        user=account.uid, group=account.gid, extra_groups=[], cwd="/",
    )  # fmt: skip
    out, err = await client.communicate(payload)
    assert client.returncode == 0, err.decode()
    return [json.loads(reply) for reply in out.splitlines()]


def run_socket(app: Container, path: str, *clients: tuple[LinuxAccount, bytes]) -> list[object]:
    async def main() -> list[object]:
        writer = EventWriter(app.record_agent_events())
        events = EventSocket(path, writer.submit)
        await events.start()
        try:
            assert stat.S_IMODE(Path(path).stat().st_mode) == 0o666
            return [await send_as(account, path, payload) for account, payload in clients]
        finally:
            await events.close()
            await writer.close()

    return run_coroutine(main())


@needs_root
def test_the_sessions_account_is_heard_and_another_account_is_refused(
    app: Container,
    world: World,
    accounts: tuple[LinuxAccount, LinuxAccount],
    folder: Path,
) -> None:
    owner, other = accounts
    known_accounts(app, *accounts)
    session_id, token = record_session(app, world, owner)
    path = str(folder / "events.sock")
    (folder / "events.sock").write_bytes(b"")  # not a socket: refused, never replaced
    with pytest.raises(OSError, match="not a socket"):
        run_socket(app, path)
    (folder / "events.sock").unlink()

    mine, theirs = run_socket(
        app,
        path,
        (owner, line(session_id, token) + line(session_id, token, "UserPromptSubmit")),
        (other, line(session_id, token, "Stop")),
    )

    assert mine == [{"ok": True, "status": "waiting"}, {"ok": True, "status": "working"}]
    assert theirs == [
        {
            "error": {
                "code": "wrong_account",
                "message": "the event comes from another Linux account than the session's",
            }
        }
    ]
    with app.uow() as uow:
        assert [e.event for e in uow.agent_events.list(session_id)] == [
            "UserPromptSubmit",
            "Notification",
        ]
    assert not Path(path).exists()  # removed at close


@needs_root
def test_bad_lines_get_an_error_line_each_and_the_rest_is_heard(
    app: Container,
    world: World,
    accounts: tuple[LinuxAccount, LinuxAccount],
    folder: Path,
) -> None:
    owner, _ = accounts
    known_accounts(app, owner)
    session_id, token = record_session(app, world, owner)
    path = str(folder / "events.sock")
    sent = line(session_id, token)
    payload = b"{not json\n" + line(session_id, "forged") + sent + sent + line(session_id, token)

    [replies] = run_socket(app, path, (owner, payload))

    assert isinstance(replies, list)
    codes = [r.get("error", {}).get("code") if "error" in r else r["status"] for r in replies]
    assert codes == ["bad_event", "bad_token", "waiting", "replayed", "waiting"]


def test_the_server_listens_on_the_event_socket_while_it_runs(app: Container, folder: Path) -> None:
    import attrs
    from starlette.testclient import TestClient

    from aiops.entrypoints.http.app import create_app

    path = folder / "run" / "events.sock"
    settings = attrs.evolve(app.settings(), event_socket=str(path))
    with app.settings.override(providers.Object(settings)):
        asgi = create_app(app)
        path.parent.mkdir()
        path.parent.chmod(0o755)
        leave_a_socket(path)
        with TestClient(asgi):
            assert stat.S_ISSOCK(path.stat().st_mode)  # the stale one replaced
            assert stat.S_IMODE(path.stat().st_mode) == 0o666
        assert not path.exists()


def leave_a_socket(path: Path) -> None:
    """A socket file of an earlier server that died (nobody listens on it)."""
    import socket

    left = socket.socket(socket.AF_UNIX)
    left.bind(str(path))
    left.close()


def test_a_second_worker_leaves_the_listening_socket_to_the_first(folder: Path) -> None:
    """`aiops serve --workers 2`: each worker's lifespan starts a listener on the same path;
    the second finds the first answering and neither replaces nor removes its socket."""
    path = str(folder / "events.sock")

    async def nothing(_cmd: object) -> None:
        return None

    async def run() -> None:
        first, second = EventSocket(path, nothing), EventSocket(path, nothing)
        await first.start()
        made = Path(path).stat().st_ino
        await second.start()
        assert Path(path).stat().st_ino == made
        await second.close()
        assert Path(path).stat().st_ino == made  # still the first's, and it still answers
        _, writer = await asyncio.open_unix_connection(path)
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.2)  # the first's handlers of both connections see them end
        await first.close()
        assert not Path(path).exists()

    run_coroutine(run())
