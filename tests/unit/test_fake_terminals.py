"""FakeTerminals behaves as the port says (the web's and the CLI's tests rely on it): a missing
window is NotFound, a writer's keys reach the "window" and echo on the screen, a watcher's are
dropped, sizes are kept, close is idempotent."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator

import pytest

from aiops.domain.errors import NotFound, ValidationError
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.terminals import Terminals
from aiops.ports.tmux import TmuxServer
from tests.fakes import FakeTerminalClient, FakeTerminals

SERVER = TmuxServer(
    "/tmp/tmux-1000/default", LinuxAccount("ana", 1000, 1000, "/home/ana", "/bin/sh")
)


@pytest.fixture
def terminals() -> Iterator[FakeTerminals]:
    fake = FakeTerminals()
    fake.add_window(SERVER, "acme-web-p1", "ana-shell")
    yield fake
    fake.close_all()


def screen_until(client: FakeTerminalClient, text: bytes, timeout: float = 5) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"{text!r} never showed: {seen!r}"
        if select.select([client.fileno()], [], [], 0.05)[0]:
            seen += os.read(client.fileno(), 4096)
    return seen


def test_a_writers_keys_reach_the_window_and_echo(terminals: FakeTerminals) -> None:
    port: Terminals = terminals
    client = port.attach(SERVER, "acme-web-p1", "ana-shell", read_only=False, cols=90, rows=30)
    assert isinstance(client, FakeTerminalClient)
    screen_until(client, b"fake terminal acme-web-p1:ana-shell")

    os.write(client.fileno(), b"hello\r")

    screen_until(client, b"hello\r")
    deadline = time.monotonic() + 5
    while client.received != b"hello\r" and time.monotonic() < deadline:
        time.sleep(0.02)  # tee writes the screen first, then the file
    assert client.received == b"hello\r"
    assert terminals.accounts == ["ana"]


def test_a_watchers_keys_are_dropped(terminals: FakeTerminals) -> None:
    client = terminals.attach(SERVER, "acme-web-p1", "ana-shell", read_only=True, cols=80, rows=24)
    screen_until(client, b"(read-only)")

    os.write(client.fileno(), b"typed by a watcher\r")
    time.sleep(0.2)

    assert client.received == b""


def test_sizes_are_kept_and_close_is_idempotent(terminals: FakeTerminals) -> None:
    client = terminals.attach(SERVER, "acme-web-p1", "ana-shell", read_only=False, cols=80, rows=24)

    client.resize(120, 40)
    client.close()
    client.close()
    client.resize(10, 10)  # after close: nothing

    assert client.sizes == [(80, 24), (120, 40)]
    assert client.closed


def test_a_missing_window_or_a_bad_size_is_refused(terminals: FakeTerminals) -> None:
    with pytest.raises(NotFound):
        terminals.attach(SERVER, "acme-web-p1", "bob-shell", read_only=False, cols=80, rows=24)
    with pytest.raises(ValidationError):
        terminals.attach(SERVER, "acme-web-p1", "ana-shell", read_only=False, cols=0, rows=24)
    assert terminals.clients == []
