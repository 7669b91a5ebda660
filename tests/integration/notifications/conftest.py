"""Real receivers on 127.0.0.1 for notifications: a JSON webhook (answers a given sequence of
statuses, then 200) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller


@attrs.define
class JsonReceiver:
    port: int
    statuses: list[int] = attrs.field(factory=list)  # answered in turn, then 200
    posts: list[tuple[str, dict[str, Any], str | None, float]] = attrs.field(factory=list)
    arrived: threading.Condition = attrs.field(factory=threading.Condition)

    def url(self, path: str = "/hook/tok-0123456789") -> str:
        return f"json://hook-user:s3cr3t-pass@127.0.0.1:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.posts) >= count, timeout), self.posts


@pytest.fixture
def json_receiver() -> Iterator[JsonReceiver]:
    receiver: JsonReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            with receiver.arrived:  # recorded before the answer: the sender sees it at once
                receiver.posts.append(
                    (self.path, json.loads(body), self.headers.get("Authorization"),
                     time.monotonic())
                )  # fmt: skip
                receiver.arrived.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = JsonReceiver(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@attrs.define
class Mailbox:
    port: int
    messages: list[tuple[str, list[str], str]] = attrs.field(factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.content.decode("utf-8", "replace")))  # fmt: skip
        return "250 OK"

    def url(self) -> str:
        return (
            f"mailto://example.com?smtp=127.0.0.1&port={self.port}"
            "&from=aiops@example.com&to=ada@example.com"
        )


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox(port=port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox
    controller.stop()
