"""Reading a text/event-stream the way EventSource does, and an aiops server on a real port
(uvicorn in a thread) for streams that must be read while they are written."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import uvicorn
from starlette.applications import Starlette


@attrs.frozen
class Message:
    id: str | None
    event: str
    data: str

    @property
    def payload(self) -> Any:
        return json.loads(self.data)


@attrs.define
class Stream:
    messages: list[Message] = attrs.field(factory=list)
    comments: list[str] = attrs.field(factory=list)
    retry: int | None = None

    @property
    def events(self) -> list[Message]:
        return [m for m in self.messages if m.event == "message"]

    @property
    def statuses(self) -> list[str]:
        return [m.data for m in self.messages if m.event == "status"]

    @property
    def end(self) -> Message | None:
        return next((m for m in self.messages if m.event == "end"), None)


def read_sse(lines: Iterable[str], stop: Callable[[Stream], bool] | None = None) -> Stream:
    """Parse lines into messages (a blank line ends one); `stop` may end reading early."""
    stream = Stream()
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                stream.messages.append(
                    Message(fields.get("id"), fields.get("event", "message"), "\n".join(data))
                )
            fields, data = {}, []
            if stop is not None and stop(stream):
                break
            continue
        if line.startswith(":"):
            stream.comments.append(line)
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "retry":
            stream.retry = int(value)
        else:
            fields[name] = value
    return stream


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(asgi: Starlette) -> Iterator[str]:
    """The app behind uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        asgi, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
