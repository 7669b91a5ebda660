"""A clone's or fetch's progress on the terminal, and Ctrl-C as its cancel.

The bar is one line on stderr, rewritten with `\\r` ("clone receiving [#######-------]  45%
4500/10000 objects, 1.2 MiB"), shown only when stderr is a terminal: a log or a pipe gets
nothing of it, and `--json` (on stdout) never meets it; the line is wiped before anything
else is printed. The first Ctrl-C asks the transfer to stop (git is stopped, a clone leaves
no folder); a second one interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType
from typing import TextIO

from aiops.domain.model.workspaces import TransferProgress
from aiops.entrypoints.cli._terminal import exact

WIDTH = 24
INTERRUPTED = 130  # the shell's code for a command ended by SIGINT


def render(step: TransferProgress) -> str:
    """One line of numbers and our own words (nothing from outside)."""
    filled = WIDTH * step.percent // 100
    line = (
        f"{step.operation or 'git'} {step.phase.value:<11} [{'#' * filled}{'-' * (WIDTH - filled)}]"
    )
    line += f" {step.percent:3d}%"
    if step.objects_total:
        line += f" {step.objects_done}/{step.objects_total}"
    elif step.objects_done:
        line += f" {step.objects_done}"
    if step.bytes_received is not None:
        line += f", {size(step.bytes_received)}"
    return line


def size(count: int) -> str:
    amount = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


class ProgressBar:
    """The transfer's sink: the line, redrawn when its text changes (a terminal only)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = exact(stream or sys.stderr)
        self._live = self._stream.isatty()
        self._shown = ""

    def __call__(self, progress: TransferProgress) -> None:
        if not self._live:
            return
        text = render(progress)
        if text != self._shown:
            self._stream.write("\r" + text.ljust(len(self._shown)))
            self._stream.flush()
            self._shown = text

    def close(self) -> None:
        """Wipe the line (what comes next starts at the line's beginning)."""
        if self._shown:
            self._stream.write("\r" + " " * len(self._shown) + "\r")
            self._stream.flush()
            self._shown = ""


class CtrlC:
    """The transfer's cancel check: set by the first SIGINT while `catching`."""

    def __init__(self) -> None:
        self.asked = False

    def cancelled(self) -> bool:
        return self.asked

    @contextlib.contextmanager
    def catching(self) -> Iterator[CtrlC]:
        previous = signal.signal(signal.SIGINT, self._interrupted)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    def _interrupted(self, signum: int, frame: FrameType | None) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
