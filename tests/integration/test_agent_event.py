"""`aiops agent-event`, the hook command, as the tools run it (a fresh `aiops` process)
against small receiving servers of the test's own: a unix socket speaking newline JSON, and
HTTP on 127.0.0.1. It never fails its tool, never waits more than 2 s, never prints on
stdout, and outside a session sends nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.event_receiver import Received, receiving_socket
from tests.integration.test_cli import AIOPS

TOKEN = "tok-" + "7" * 40
CLAUDE_NOTIFICATION = {
    "session_id": "3b1c-claude-own-id",
    "transcript_path": "/home/ana/.claude/projects/x/3b1c.jsonl",
    "cwd": "/home/ana/workspace/web",
    "hook_event_name": "Notification",
    "message": "Claude needs your permission to use Bash",
    "notification_type": "permission_prompt",
}
CODEX_TURN = {
    "type": "agent-turn-complete",
    "turn-id": "12345",
    "input-messages": ["Rename foo to bar"],
    "last-assistant-message": "Done: renamed.",
}


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[tuple[Path, Received]]:
    received = Received()
    path = tmp_path / "events.sock"
    with receiving_socket(path, received):
        yield path, received


@pytest.fixture
def http_server() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.bodies.append(json.loads(self.rfile.read(length)))
            received.headers.append(dict(self.headers))
            received.paths.append(self.path)
            if received.hang:
                time.sleep(4)
                return
            body = json.dumps(received.reply).encode()
            self.send_response(received.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def run(
    args: list[str], *, stdin: str = "", **env: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    started = time.monotonic()
    done = subprocess.run(
        [AIOPS, "agent-event", *args], input=stdin, capture_output=True, text=True,
        env=base | env, timeout=30, check=False,
    )  # fmt: skip
    return done, time.monotonic() - started


def session_env(**more: str) -> dict[str, str]:
    return {"AIOPS_SESSION_ID": "7", "AIOPS_SESSION_TOKEN": TOKEN, **more}


def test_a_claude_event_goes_over_the_unix_socket_with_the_token(
    unix_server: tuple[Path, Received],
) -> None:
    path, received = unix_server

    done, _ = run(["--tool", "claude"], stdin=json.dumps(CLAUDE_NOTIFICATION),
                  **session_env(AIOPS_EVENT_SOCKET=str(path)))  # fmt: skip

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    (wire,) = received.bodies
    assert wire.pop("token") == TOKEN
    sent_at = datetime.fromisoformat(wire.pop("sent_at"))
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 10
    event_id = wire.pop("event_id")
    assert len(event_id) == 32
    assert set(event_id) <= set("0123456789abcdef")
    assert wire == {
        "session_id": 7, "tool": "claude", "event": "Notification",
        "detail": {"message": CLAUDE_NOTIFICATION["message"],
                   "notification_type": "permission_prompt"},
    }  # fmt: skip


def test_each_event_has_its_own_id(unix_server: tuple[Path, Received]) -> None:
    path, received = unix_server
    for _ in range(2):
        run(["--tool", "claude"], stdin='{"hook_event_name": "Stop"}',
            **session_env(AIOPS_EVENT_SOCKET=str(path)))  # fmt: skip

    assert len({wire["event_id"] for wire in received.bodies}) == 2


def test_an_event_goes_over_http_with_a_bearer_token_when_there_is_no_socket(
    http_server: tuple[str, Received],
) -> None:
    url, received = http_server

    done, _ = run(["--tool", "gemini"], stdin='{"hook_event_name": "AfterAgent"}',
                  **session_env(AIOPS_URL=url + "/"))  # fmt: skip

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert received.paths == ["/api/v1/agent-events"]
    assert received.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert "token" not in received.bodies[0]
    assert received.bodies[0]["event"] == "AfterAgent"
    assert received.bodies[0]["tool"] == "gemini"


def test_a_socket_that_is_not_there_falls_back_to_http(
    http_server: tuple[str, Received], tmp_path: Path
) -> None:
    url, received = http_server

    done, _ = run(["--tool", "claude"], stdin='{"hook_event_name": "Stop"}',
                  **session_env(AIOPS_EVENT_SOCKET=str(tmp_path / "gone.sock"), AIOPS_URL=url))  # fmt: skip

    assert (done.returncode, done.stderr) == (0, "")
    assert [wire["event"] for wire in received.bodies] == ["Stop"]


def test_a_refused_event_is_one_line_on_stderr_and_exit_0(
    http_server: tuple[str, Received],
) -> None:
    url, received = http_server
    received.status = 401
    received.reply = {"error": {"code": "bad_token", "message": "the token is not this session's"}}

    done, _ = run(["--tool", "claude"], stdin='{"hook_event_name": "Stop"}',
                  **session_env(AIOPS_URL=url))  # fmt: skip

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr.splitlines() == [
        "aiops agent-event: refused: bad_token: the token is not this session's"
    ]


def test_outside_a_session_nothing_is_sent(
    unix_server: tuple[Path, Received], http_server: tuple[str, Received]
) -> None:
    path, over_socket = unix_server
    url, over_http = http_server

    done, _ = run(["--tool", "claude"], stdin=json.dumps(CLAUDE_NOTIFICATION),
                  AIOPS_EVENT_SOCKET=str(path), AIOPS_URL=url)  # fmt: skip

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert over_socket.bodies == over_http.bodies == []


@pytest.mark.parametrize("way", ["socket", "http"])
def test_a_server_that_hangs_holds_the_tool_at_most_2_seconds(
    way: str, unix_server: tuple[Path, Received], http_server: tuple[str, Received]
) -> None:
    path, over_socket = unix_server
    url, over_http = http_server
    over_socket.hang = over_http.hang = True
    where = {"AIOPS_EVENT_SOCKET": str(path)} if way == "socket" else {"AIOPS_URL": url}

    done, took = run(["--tool", "claude"], stdin='{"hook_event_name": "Stop"}',
                     **session_env(**where))  # fmt: skip

    assert (done.returncode, done.stdout) == (0, "")
    assert "did not answer within 2 s" in done.stderr
    assert 1.9 < took < 2.9  # 2 s of waiting plus the interpreter's start
    assert len(over_socket.bodies) + len(over_http.bodies) == 1


def test_codex_event_is_the_last_argument_and_the_users_notify_runs_after_it(
    unix_server: tuple[Path, Received], tmp_path: Path
) -> None:
    path, received = unix_server
    out = tmp_path / "theirs.json"
    theirs = [sys.executable, "-c",
              "import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))", str(out)]  # fmt: skip

    done, _ = run(["--tool", "codex", "--", *theirs, json.dumps(CODEX_TURN)],
                  **session_env(AIOPS_EVENT_SOCKET=str(path)))  # fmt: skip

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert received.bodies[0]["event"] == "agent-turn-complete"
    assert received.bodies[0]["detail"] == {"type": "agent-turn-complete", "turn-id": "12345"}
    _wait_for(out.exists)
    assert [json.loads(arg) for arg in json.loads(out.read_text())] == [CODEX_TURN]


def test_codex_without_a_chained_command(unix_server: tuple[Path, Received]) -> None:
    path, received = unix_server

    done, _ = run(["--tool", "codex", json.dumps(CODEX_TURN)],
                  **session_env(AIOPS_EVENT_SOCKET=str(path)))  # fmt: skip

    assert (done.returncode, done.stderr) == (0, "")
    assert [wire["event"] for wire in received.bodies] == ["agent-turn-complete"]


def test_outside_a_session_the_users_codex_notify_still_runs(tmp_path: Path) -> None:
    out = tmp_path / "ran"
    done, _ = run(["--tool", "codex", "--", "/usr/bin/touch", str(out), json.dumps(CODEX_TURN)])

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    _wait_for(out.exists)


def test_a_chained_command_that_does_not_exist_is_one_line(
    unix_server: tuple[Path, Received],
) -> None:
    path, received = unix_server
    done, _ = run(["--tool", "codex", "--", "/nonexistent/notifier", json.dumps(CODEX_TURN)],
                  **session_env(AIOPS_EVENT_SOCKET=str(path)))  # fmt: skip

    assert done.returncode == 0
    assert done.stderr.startswith("aiops agent-event: could not run the chained notify command")
    assert len(received.bodies) == 1


@pytest.mark.parametrize(
    ("args", "stdin", "line"),
    [
        (["--tool", "claude"], "not json", "claude gave an event that is not JSON"),
        (["--tool", "claude"], "[1]", "claude gave an event that is not a JSON object"),
        (["--tool", "claude"], "{}", "claude gave an event without its name"),
        (["--tool", "vim"], "{}", "usage: aiops agent-event --tool claude|codex|gemini"),
        (["--tool", "codex"], "", "codex gave no event"),
    ],
)
def test_bad_input_is_one_line_and_never_fails_the_tool(
    args: list[str], stdin: str, line: str, unix_server: tuple[Path, Received]
) -> None:
    path, received = unix_server
    done, _ = run(args, stdin=stdin, **session_env(AIOPS_EVENT_SOCKET=str(path)))

    assert (done.returncode, done.stdout) == (0, "")
    assert len(done.stderr.splitlines()) == 1
    assert line in done.stderr
    assert received.bodies == []


def test_a_session_without_a_way_to_the_server_is_one_line() -> None:
    done, _ = run(["--tool", "claude"], stdin='{"hook_event_name": "Stop"}', **session_env())

    assert done.returncode == 0
    assert done.stderr == "aiops agent-event: neither AIOPS_EVENT_SOCKET nor AIOPS_URL is set\n"


def test_the_hook_command_loads_nothing_but_the_standard_library() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['aiops', 'agent-event', '--tool', 'codex', '{}']\n"
        "from aiops.entrypoints.command import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "site = {'__main__', 'sitecustomize', 'usercustomize'}  # the interpreter's own\n"
        "ours = {m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names) - site\n"
        "print(sorted(ours))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "['aiops']"


def _wait_for(check: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.serial  # wall times: never beside other tests' workers
def test_the_hook_command_benchmark_runs_and_stays_within_100_ms_of_python(
    tmp_path: Path,
) -> None:
    output = tmp_path / "agent_event.json"
    bench = Path(__file__).parents[2] / "bench" / "agent_event.py"

    done = subprocess.run(
        [sys.executable, str(bench), "--quick", "--output", str(output)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(output.read_text())["rows"]
    assert len(rows) == 3
    assert all(row["over_python_ms"] < 100 for row in rows)
