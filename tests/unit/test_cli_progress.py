"""The CLI's progress line (entrypoints/cli/_progress.py): what it says, and that it is drawn
only on a terminal."""

from __future__ import annotations

import io

from aiops.domain.model.workspaces import TransferPhase, TransferProgress
from aiops.entrypoints.cli._progress import ProgressBar, render, size

STEP = TransferProgress(
    phase=TransferPhase.RECEIVING,
    percent=42,
    objects_done=128734,
    objects_total=306548,
    bytes_received=22_439_526,
    operation="clone",
)


def test_a_step_reads_as_one_line_of_phase_bar_percent_objects_and_bytes() -> None:
    assert render(STEP) == (
        "clone receiving   [##########--------------]  42% 128734/306548, 21.4 MiB"
    )
    starting = TransferProgress(phase=TransferPhase.COUNTING, objects_done=12, operation="fetch")
    assert render(starting) == f"fetch counting    [{'-' * 24}]   0% 12"


def test_sizes_are_binary_units() -> None:
    assert [size(n) for n in (0, 1023, 1024, 5 * 2**20 + 2**19, 3 * 2**30)] == [
        "0 B", "1023 B", "1.0 KiB", "5.5 MiB", "3.0 GiB",
    ]  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_is_rewritten_on_a_terminal_and_wiped_at_the_end() -> None:
    screen = Terminal()
    bar = ProgressBar(screen)

    bar(STEP)
    bar(STEP)  # the same text: not drawn again
    bar(TransferProgress(phase=TransferPhase.RESOLVING, percent=100, operation="clone"))
    bar.close()

    first, second = render(STEP), "clone resolving   [" + "#" * 24 + "] 100%"
    assert screen.getvalue() == (f"\r{first}\r{second.ljust(len(first))}\r{' ' * len(second)}\r")


def test_nothing_is_drawn_in_a_pipe() -> None:
    pipe = io.StringIO()
    bar = ProgressBar(pipe)

    bar(STEP)
    bar.close()

    assert pipe.getvalue() == ""
