"""The launcher's socket: who may connect, what a bad frame does (an error, never a crash),
descriptors handed back, and a spawned process that lives as long as its connection."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiops.adapters.launcher.executor import Executor, in_child
from aiops.adapters.launcher.protocol import HEADER, MAX_FRAME, Refused, encode
from aiops.adapters.launcher.server import LauncherServer, read_frame
from aiops.adapters.launcher.switch import Account
from aiops.adapters.launching import LauncherUnavailable, SocketBackend
from aiops.ports.linux_users import LinuxAccount


def ask(path: str, *frames: bytes) -> list[dict[str, object]]:
    """Send raw frames, then a ping; every reply until the launcher closes or answers it."""
    replies: list[dict[str, object]] = []
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(10)
        connection.connect(path)
        for frame in (*frames, encode({"op": "ping"})):
            try:
                connection.sendall(frame)
            except BrokenPipeError:
                break
        connection.shutdown(socket.SHUT_WR)
        while (body := read_frame(connection)) is not None:
            replies.append(json.loads(body))
    return replies


def test_a_ping_is_answered(server: LauncherServer) -> None:
    assert ask(str(server.server_address)) == [{"ok": True, "uid": 0}]


def test_a_frame_that_is_not_a_request_gets_an_error_and_the_connection_goes_on(
    server: LauncherServer,
) -> None:
    body = b"not json"
    replies = ask(
        str(server.server_address),
        HEADER.pack(len(body)) + body,
        encode({"op": "delete-everything"}),
    )

    assert replies == [
        {"error": {"code": "bad_frame", "message": "the frame is not a UTF-8 JSON object"}},
        {"error": {"code": "bad_request", "message": "unknown op 'delete-everything'"}},
        {"ok": True, "uid": 0},
    ]


def test_a_frame_over_the_limit_ends_the_connection_with_an_error(server: LauncherServer) -> None:
    replies = ask(str(server.server_address), HEADER.pack(MAX_FRAME + 1))

    assert replies == [
        {
            "error": {
                "code": "too_large",
                "message": f"a frame of {MAX_FRAME + 1} bytes is over {MAX_FRAME}",
            }
        }
    ]
    assert ask(str(server.server_address)) == [{"ok": True, "uid": 0}]  # it keeps serving


def test_a_stream_cut_inside_a_frame_ends_the_connection(server: LauncherServer) -> None:
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(server.server_address))
        connection.sendall(HEADER.pack(100) + b"{")
        connection.shutdown(socket.SHUT_WR)
        reply = read_frame(connection)

    assert reply is not None
    assert json.loads(reply)["error"]["code"] == "bad_frame"
    assert ask(str(server.server_address)) == [{"ok": True, "uid": 0}]


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.binary(max_size=64), max_size=4))
def test_arbitrary_bytes_get_clean_refusals_and_the_launcher_keeps_serving(
    server: LauncherServer, junk: list[bytes]
) -> None:
    path = str(server.server_address)
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(10)
        connection.connect(path)
        connection.sendall(b"".join(junk))
        connection.shutdown(socket.SHUT_WR)
        replies = []
        with contextlib.suppress(Refused):  # our own junk may end inside a frame
            while (body := read_frame(connection)) is not None:
                replies.append(json.loads(body))
    assert all(set(reply) <= {"error", "ok", "uid"} for reply in replies)
    assert ask(path) == [{"ok": True, "uid": 0}]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    request=st.dictionaries(
        st.sampled_from(["op", "account", "program", "args", "cwd", "path", "env", "mode", "x"]),
        st.none() | st.integers() | st.text(max_size=20) | st.lists(st.text(max_size=5)),
        max_size=6,
    )
)
def test_arbitrary_requests_never_act_and_never_crash(
    server: LauncherServer, request: dict[str, object]
) -> None:
    replies = ask(str(server.server_address), encode(request))

    assert replies[-1] == {"ok": True, "uid": 0}
    if request.get("op") != "ping":
        assert "error" in replies[0]


def test_a_peer_other_than_the_service_account_is_refused(
    server: LauncherServer, account: LinuxAccount, executor: Executor
) -> None:
    """A user who can reach the socket still cannot use it: the kernel says who connects."""
    os.chmod(server.server_address, 0o666)  # noqa: S103 - the account reaches it, still refused
    as_user = Account(account.name, account.uid, account.gid, account.home, account.shell, ())

    def connect() -> dict[str, object]:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(server.server_address))
            connection.sendall(encode({"op": "ping"}))
            body = read_frame(connection)
            return {"reply": json.loads(body or b"{}"), "more": read_frame(connection)}

    answer = in_child(as_user, connect)

    assert answer.body == {
        "ok": True,
        "reply": {
            "error": {
                "code": "peer_refused",
                "message": f"uid {account.uid} may not use the launcher",
            }
        },
        "more": None,
    }


def test_the_socket_is_made_0660_in_the_service_group_replacing_a_stale_one(
    executor: Executor, place: Path, account: LinuxAccount
) -> None:
    path = place / "stale.sock"
    path.write_text("left over")

    server = LauncherServer(str(path), executor=executor, peer_uid=0, socket_gid=account.gid)
    try:
        info = path.lstat()
        assert stat.S_ISSOCK(info.st_mode)
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, account.gid, 0o660)
        assert (os.getegid(), os.umask(0o022)) == (0, 0o022)  # both put back
    finally:
        server.server_close()


def test_a_spawned_process_reports_its_exit_on_its_connection(
    server: LauncherServer, account: LinuxAccount
) -> None:
    backend = SocketBackend(str(server.server_address))
    spawned = backend.open(
        {"op": "spawn", "account": account.name, "program": "sh", "args": ["-c", "exit 7"],
         "cwd": "/", "env": {}, "pty": False}
    )  # fmt: skip
    for fd in spawned.fds:
        os.close(fd)

    assert spawned.wait() == 7


def test_closing_a_spawned_processs_connection_kills_it(
    server: LauncherServer, account: LinuxAccount
) -> None:
    backend = SocketBackend(str(server.server_address))
    spawned = backend.open(
        {"op": "spawn", "account": account.name, "program": "sh",
         "args": ["-c", "echo $$; exec sleep 60"], "cwd": "/", "env": {}, "pty": False}
    )  # fmt: skip
    stdin, stdout = spawned.fds
    pid = int(os.read(stdout, 100))

    spawned.stop()
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)

    assert not Path(f"/proc/{pid}").exists()
    assert os.read(stdout, 10) == b""
    os.close(stdin)
    os.close(stdout)


def test_a_refused_spawn_hands_back_nothing(server: LauncherServer, account: LinuxAccount) -> None:
    from aiops.adapters.launching import ActFailed

    backend = SocketBackend(str(server.server_address))
    with pytest.raises(ActFailed, match="cannot enter /root"):
        backend.open(
            {"op": "spawn", "account": account.name, "program": "sh", "args": [],
             "cwd": "/root", "env": {}, "pty": True}
        )  # fmt: skip


def test_a_launcher_that_is_not_there_is_reported_in_one_line(place: Path) -> None:
    with pytest.raises(LauncherUnavailable, match="is not answering"):
        SocketBackend(str(place / "none.sock")).call({"op": "ping"})


def test_requests_from_several_connections_are_served_at_once(
    server: LauncherServer, account: LinuxAccount
) -> None:
    backend = SocketBackend(str(server.server_address))
    slow = {"op": "run", "account": account.name, "program": "sh", "args": ["-c", "sleep 1"],
            "cwd": "/", "env": {}, "input_b64": "", "timeout": 10}  # fmt: skip
    threads = [threading.Thread(target=backend.call, args=(slow,)) for _ in range(4)]

    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert time.monotonic() - started < 3


def test_a_peer_that_keeps_sending_after_a_broken_frame_is_cut_off(server: LauncherServer) -> None:
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(server.server_address))
        sender = threading.Thread(
            target=lambda: _send_quietly(connection, HEADER.pack(MAX_FRAME + 1) + b"x" * 2**23)
        )
        sender.start()
        reply = read_frame(connection)
        sender.join(timeout=10)

    assert reply is not None
    assert json.loads(reply)["error"]["code"] == "too_large"
    assert ask(str(server.server_address)) == [{"ok": True, "uid": 0}]


def _send_quietly(connection: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the launcher stops reading and closes: as wanted
        connection.sendall(data)
