"""`aiops agent-event --tool claude|codex|gemini [--] [codex: the user's notify argv...]`: the
hook command the tools run (issue 18), telling the server what the agent does.

It runs on every hook, so it is answered before Typer is imported, with the standard library
alone (its modules loaded only on the way that needs them). It never makes the tool wait more
than TIMEOUT seconds, never fails it (exit 0; one line on stderr when the event was not
taken), and never prints on stdout (Claude Code reads a hook's stdout). Outside an aiops
session (no AIOPS_SESSION_ID) it sends nothing.

Claude Code and Gemini CLI give the event's JSON on stdin; Codex gives it as the last
argument, after the user's own notify command when aiops chained it (`-- <argv...>`), which
runs afterwards with the same last argument (an argv list, never a shell).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

TOOLS = ("claude", "codex", "gemini")
TIMEOUT = 2.0  # seconds, all of the sending together
MAX_INPUT = 1024 * 1024
MAX_TEXT = 500
# The few fields of a tool's payload the server keeps (never prompts or answers).
DETAIL_FIELDS = ("message", "notification_type", "reason", "source", "title", "type", "turn-id")
PATH = "/api/v1/agent-events"
USAGE = "usage: aiops agent-event --tool claude|codex|gemini [--] [notify argv...] [EVENT_JSON]"


class Refused(Exception):
    """The event was not taken (the message is the stderr line)."""


def main(args: Sequence[str], stdin: Any = None) -> int:
    """Always 0: a hook must never fail its tool."""
    started = time.monotonic()
    chained: list[str] = []
    try:
        tool, rest = _parse(args)
        if tool == "codex":
            if not rest:
                raise Refused("codex gave no event")
            raw, chained = rest[-1], rest[:-1]
        else:
            raw = (stdin or sys.stdin).read(MAX_INPUT)
        if os.environ.get("AIOPS_SESSION_ID"):
            _send(event(tool, raw, os.environ), os.environ, started + TIMEOUT)
    except Refused as refused:
        _say(str(refused))
    except TimeoutError:
        _say(f"the server did not answer within {TIMEOUT:g} s: the event is lost")
    except OSError as error:
        _say(f"the server is not reachable: {error.strerror or error}")
    except Exception as error:
        _say(f"{type(error).__name__}: {error}")
    if chained:
        _run_chained(chained, rest[-1])
    return 0


def _parse(args: Sequence[str]) -> tuple[str, list[str]]:
    if len(args) < 2 or args[0] != "--tool" or args[1] not in TOOLS:
        raise Refused(USAGE)
    rest = list(args[2:])
    return args[1], rest[1:] if rest[:1] == ["--"] else rest


def event(tool: str, raw: str, env: Mapping[str, str]) -> dict[str, Any]:
    """The wire object of one event (docs/guide/ai-sessions.md, the contracts of issue 18)."""
    from datetime import UTC, datetime  # noqa: PLC0415 - stdlib, only when sending

    session = env.get("AIOPS_SESSION_ID", "")
    if not session.isdigit():
        raise Refused(f"AIOPS_SESSION_ID {session[:20]!r} is not a session id")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise Refused(f"{tool} gave an event that is not JSON") from None
    if not isinstance(payload, dict):
        raise Refused(f"{tool} gave an event that is not a JSON object")
    name = payload.get("type" if tool == "codex" else "hook_event_name")
    if not isinstance(name, str) or not name:
        raise Refused(f"{tool} gave an event without its name")
    return {
        "session_id": int(session),
        "tool": tool,
        "event": name[:100],
        "event_id": os.urandom(16).hex(),
        "sent_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "detail": {
            key: value[:MAX_TEXT]
            for key in DETAIL_FIELDS
            if isinstance(value := payload.get(key), str)
        },
    }


def _send(wire: dict[str, Any], env: Mapping[str, str], deadline: float) -> None:
    """Over the unix socket when there is one, else (or when it is not answering) over HTTP."""
    token = env.get("AIOPS_SESSION_TOKEN", "")
    socket_path, url = env.get("AIOPS_EVENT_SOCKET", ""), env.get("AIOPS_URL", "")
    if not socket_path and not url:
        raise Refused("neither AIOPS_EVENT_SOCKET nor AIOPS_URL is set")
    if socket_path:
        try:
            _answered(_over_socket(socket_path, {**wire, "token": token}, deadline))
            return
        except ConnectionError as error:
            if not url:
                raise Refused(f"the event socket {socket_path} is not answering: {error}") from None
    _answered(_over_http(url, wire, token, deadline))


def _answered(reply: bytes) -> None:
    try:
        answer = json.loads(reply)
    except ValueError:
        raise Refused(f"the server gave no readable answer: {reply[:100]!r}") from None
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict):
            raise Refused(f"refused: {error.get('code')}: {error.get('message')}")
        raise Refused(f"the server gave no readable answer: {reply[:100]!r}")


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("out of time")
    return left


def _over_socket(path: str, request: dict[str, Any], deadline: float) -> bytes:
    import socket  # noqa: PLC0415 - only on this way

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(_left(deadline))
        try:
            connection.connect(path)
        except (FileNotFoundError, ConnectionRefusedError, PermissionError) as error:
            raise ConnectionError(error.strerror) from None
        connection.sendall(json.dumps(request).encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            connection.settimeout(_left(deadline))
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
    return reply


def _over_http(url: str, wire: dict[str, Any], token: str, deadline: float) -> bytes:
    import http.client  # noqa: PLC0415 - only on this way
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"AIOPS_URL {url[:80]!r} is not an http(s) URL")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=_left(deadline))
    try:
        connection.request(
            "POST",
            parts.path.rstrip("/") + PATH,
            body=json.dumps(wire).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if connection.sock is not None:
            connection.sock.settimeout(_left(deadline))
        response = connection.getresponse()
        return response.read(65536)
    finally:
        connection.close()


def _run_chained(argv: list[str], raw: str) -> None:
    """The user's own notify command, as Codex would have run it: not waited for."""
    import subprocess  # noqa: PLC0415 - only with a chained command

    try:
        subprocess.Popen([*argv, raw], stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        _say(f"could not run the chained notify command {argv[0]!r}: {error.strerror}")


def _say(line: str) -> None:
    print(f"aiops agent-event: {line}", file=sys.stderr)
