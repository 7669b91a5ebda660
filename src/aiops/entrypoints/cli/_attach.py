"""`aiops session attach`: the local terminal relayed to a tmux client of the session's window.

The client (a pty running `tmux attach-session` as the window's account, see
adapters/tmux/terminals.py) draws the screen; this process only copies bytes both ways, with
the local terminal in raw mode so that every key (tmux's prefix among them) reaches tmux, and
follows the local terminal's size (SIGWINCH). It ends when the client does: the user detached
(prefix + d), the window went, or the input ended. The local terminal is always put back.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import termios
import tty
from collections.abc import Iterator
from types import FrameType

from aiops.ports.terminals import TerminalClient

CHUNK = 65536


def local_size(fd: int) -> tuple[int, int]:
    """The local terminal's columns and rows (80x24 when it is not a terminal or does not say:
    a new pty, a serial console, report 0x0)."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return 80, 24
    if not (size.columns and size.lines):
        return 80, 24
    return min(size.columns, 1000), min(size.lines, 1000)


def relay(client: TerminalClient, stdin: int = 0, stdout: int = 1) -> None:
    """Copy keys to the client and its screen to `stdout` until the client ends. A hang-up or
    a TERM ends it too, as SystemExit (128 + the signal): the caller's `finally` still closes
    the client and records the detach."""
    with _raw(stdin), _ended_by_signals(), _size_changes() as changed:
        client.resize(*local_size(stdout))
        reading = [client.fileno(), stdin, changed]
        while True:
            ready, _, _ = select.select(reading, [], [])
            if changed in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(changed, 64)
                client.resize(*local_size(stdout))
            if stdin in ready:
                keys = os.read(stdin, CHUNK)
                if not keys:  # the input ended: nothing more will be typed
                    return
                _write_all(client.fileno(), keys)
            if client.fileno() in ready:
                try:
                    screen = os.read(client.fileno(), CHUNK)
                except BlockingIOError:
                    continue
                except OSError as error:
                    if error.errno != errno.EIO:  # EIO: the client's side of the pty closed
                        raise
                    return
                if not screen:
                    return
                _write_all(stdout, screen)


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        with contextlib.suppress(termios.error):  # a terminal that hung up is gone anyway
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def _ended_by_signals() -> Iterator[None]:
    def end(number: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + number)

    previous = {number: signal.signal(number, end) for number in (signal.SIGHUP, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def _size_changes() -> Iterator[int]:
    """A descriptor that becomes readable when the local terminal's size changes."""
    readable, writable = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def changed(_signal: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(writable, b"w")

    previous = signal.signal(signal.SIGWINCH, changed)
    try:
        yield readable
    finally:
        signal.signal(signal.SIGWINCH, previous)
        os.close(readable)
        os.close(writable)


def _write_all(fd: int, data: bytes) -> None:
    """All of `data`, waiting while a non-blocking descriptor is full."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])
