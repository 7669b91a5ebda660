"""The relay behind `aiops session attach` (entrypoints/cli/_attach.py) between a local
terminal (a pty pair here) and a terminal client (FakeTerminals' pty): keys go to the client,
its screen comes back, the size follows SIGWINCH, and the local terminal is put back."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import termios
import threading
import time
from collections.abc import Iterator

import pytest

from aiops.entrypoints.cli._attach import local_size, relay
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import TmuxServer
from tests.fakes import FakeTerminalClient, FakeTerminals

SERVER = TmuxServer(
    "/tmp/tmux-1000/default", LinuxAccount("ana", 1000, 1000, "/home/ana", "/bin/sh")
)


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@pytest.fixture
def client() -> Iterator[FakeTerminalClient]:
    terminals = FakeTerminals()
    terminals.add_window(SERVER, "acme-web-p1", "ana-shell")
    yield terminals.attach(SERVER, "acme-web-p1", "ana-shell", read_only=False, cols=80, rows=24)
    terminals.close_all()


@pytest.fixture
def local() -> Iterator[tuple[int, int]]:
    """The operator's terminal: (the emulator's side, the command's side)."""
    emulator, command = os.openpty()
    set_size(command, 100, 30)
    yield emulator, command
    os.close(emulator)
    os.close(command)


def wait_until(check: object, what: str) -> None:
    deadline = time.monotonic() + 5
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_keys_screen_and_size_are_relayed_until_the_client_ends(
    client: FakeTerminalClient, local: tuple[int, int]
) -> None:
    emulator, command = local
    cooked = termios.tcgetattr(command)
    shown = bytearray()

    def operator() -> None:  # the relay ends only when the client does: end it come what may
        try:
            steps()
        finally:
            client.end()

    def steps() -> None:
        wait_until(lambda: not termios.tcgetattr(command)[3] & termios.ICANON, "raw mode")
        os.write(emulator, b"hello\r")
        wait_until(lambda: client.received == b"hello\r", "the keys to reach the client")
        set_size(command, 120, 40)
        os.kill(os.getpid(), signal.SIGWINCH)  # the kernel's, for a terminal of this session
        wait_until(lambda: client.sizes[-1] == (120, 40), "the new size")

    thread = threading.Thread(target=operator)
    thread.start()
    relay(client, stdin=command, stdout=command)  # in the main thread, as SIGWINCH needs
    thread.join()
    received, sizes = client.received, client.sizes
    os.set_blocking(emulator, False)
    while True:
        try:
            shown += os.read(emulator, 65536)
        except BlockingIOError:
            break

    assert b"fake terminal acme-web-p1:ana-shell" in shown
    assert b"hello" in shown
    assert received == b"hello\r"
    assert sizes == [(80, 24), (100, 30), (120, 40)]
    assert termios.tcgetattr(command) == cooked


def test_the_end_of_the_input_ends_the_relay(client: FakeTerminalClient) -> None:
    keys, typed = os.pipe()
    os.write(typed, b"last words")
    os.close(typed)
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        relay(client, stdin=keys, stdout=sink)
    finally:
        os.close(keys)
        os.close(sink)

    wait_until(lambda: client.received == b"last words", "the keys before the end")


def test_a_terminal_that_does_not_say_its_size_counts_as_80x24(local: tuple[int, int]) -> None:
    _, command = local
    set_size(command, 0, 0)
    not_a_terminal = os.open(os.devnull, os.O_WRONLY)
    try:
        assert local_size(command) == (80, 24)
        assert local_size(not_a_terminal) == (80, 24)
    finally:
        os.close(not_a_terminal)
    set_size(command, 3000, 50)
    assert local_size(command) == (1000, 50)


def test_a_hang_up_ends_the_relay_as_an_exit_and_puts_the_terminal_back(
    client: FakeTerminalClient, local: tuple[int, int]
) -> None:
    _, command = local
    cooked = termios.tcgetattr(command)
    handler = signal.getsignal(signal.SIGHUP)

    def hang_up() -> None:
        wait_until(lambda: not termios.tcgetattr(command)[3] & termios.ICANON, "raw mode")
        os.kill(os.getpid(), signal.SIGHUP)

    thread = threading.Thread(target=hang_up)
    thread.start()
    with pytest.raises(SystemExit) as ended:
        relay(client, stdin=command, stdout=command)
    thread.join()

    assert ended.value.code == 128 + signal.SIGHUP
    assert termios.tcgetattr(command) == cooked
    assert signal.getsignal(signal.SIGHUP) == handler
    assert not client.closed  # the caller closes it (and records the detach)
