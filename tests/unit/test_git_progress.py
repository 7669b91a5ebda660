"""git's progress lines (adapters/git/progress.py): what they say, and that the reader never
fails whatever git (or anything else) writes, however the output is cut into chunks."""

from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.adapters.git.progress import ProgressReader, parse_line
from aiops.domain.model.workspaces import TransferPhase, TransferProgress

CLONE = (
    b"Cloning into '/home/ivo/workspace/web'...\n"
    b"remote: Enumerating objects: 12034, done.\n"
    b"remote: Counting objects:   1% (1/100)\rremote: Counting objects: 100% (100/100), done.\n"
    b"remote: Compressing objects:  50% (20/40)\x1b[K\r"
    b"remote: Compressing objects: 100% (40/40), done.\x1b[K\n"
    b"Receiving objects:   0% (1/10000)\r"
    b"Receiving objects:  45% (4500/10000), 1.20 MiB | 1.00 MiB/s\r"
    b"Receiving objects: 100% (10000/10000), 2.50 MiB | 1.10 MiB/s, done.\n"
    b"remote: Total 10000 (delta 300), reused 0 (delta 0), pack-reused 0\n"
    b"Resolving deltas:  10% (30/300)\rResolving deltas: 100% (300/300), done.\n"
    b"Updating files:  40% (2000/5001)\rUpdating files: 100% (5001/5001), done.\n"
)


def _read(data: bytes, cuts: list[int]) -> tuple[list[TransferProgress], bytes]:
    reader = ProgressReader()
    steps: list[TransferProgress] = []
    start = 0
    for cut in sorted({c % (len(data) + 1) for c in cuts}):
        steps += reader.feed(data[start:cut])
        start = cut
    steps += reader.feed(data[start:])
    steps += reader.close()
    return steps, reader.text


def test_a_clone_reads_as_its_phases_in_order_each_ending_at_100() -> None:
    steps, text = _read(CLONE, [])

    phases = [step.phase for step in steps]
    assert list(dict.fromkeys(phases)) == [
        TransferPhase.COUNTING,
        TransferPhase.COMPRESSING,
        TransferPhase.RECEIVING,
        TransferPhase.RESOLVING,
        TransferPhase.UPDATING,
    ]
    receiving = [step for step in steps if step.phase is TransferPhase.RECEIVING]
    assert [(s.percent, s.objects_done, s.objects_total) for s in receiving] == [
        (0, 1, 10000),
        (45, 4500, 10000),
        (100, 10000, 10000),
    ]
    assert [s.bytes_received for s in receiving] == [None, int(1.2 * 2**20), int(2.5 * 2**20)]
    assert steps[-1] == TransferProgress(
        phase=TransferPhase.UPDATING,
        percent=100,
        objects_done=5001,
        objects_total=5001,
        bytes_received=int(2.5 * 2**20),  # the bytes received stay with the later phases
    )
    assert text == (
        b"Cloning into '/home/ivo/workspace/web'...\n"
        b"remote: Total 10000 (delta 300), reused 0 (delta 0), pack-reused 0"
    )


def test_errors_are_kept_without_the_progress_lines() -> None:
    data = b"Receiving objects:  12% (12/100)\rfatal: the remote end hung up unexpectedly\n"

    steps, text = _read(data, [])

    assert [s.percent for s in steps] == [12]
    assert text == b"fatal: the remote end hung up unexpectedly"


def test_a_count_without_total_is_done_only_when_git_says_so() -> None:
    assert parse_line(b"remote: Enumerating objects: 5") == (TransferPhase.COUNTING, 0, 5, 0, None)
    assert parse_line(b"remote: Enumerating objects: 5, done.") == (
        TransferPhase.COUNTING, 100, 5, 0, None,
    )  # fmt: skip
    assert parse_line(b"Receiving objects: 100% (3/3), 512 bytes | 512.00 KiB/s, done.") == (
        TransferPhase.RECEIVING, 100, 3, 3, 512,
    )  # fmt: skip


def test_lines_that_are_not_progress_are_text() -> None:
    for line in (
        b"fatal: repository 'x' not found",
        b"error: 404",
        b"Frobnicating widgets:  10% (1/10)",  # not a phase git has
        b"remote: Total 3 (delta 0), reused 0 (delta 0)",
        b"",
    ):
        assert parse_line(line) is None


def test_a_percent_never_goes_back_within_a_phase_and_a_new_total_starts_again() -> None:
    data = (
        b"Receiving objects:  50% (5/10)\rReceiving objects:  40% (4/10)\r"
        b"Receiving objects: 100% (10/10), done.\n"
        b"Receiving objects:  20% (1/5)\rReceiving objects: 100% (5/5), done.\n"
    )

    steps, _ = _read(data, [])

    assert [s.percent for s in steps] == [50, 50, 100, 20, 100]


progress_like = st.lists(
    st.one_of(
        st.sampled_from(
            [
                b"Receiving objects",
                b"remote: Counting objects",
                b"Resolving deltas",
                b"Updating files",
            ]
        ).flatmap(
            lambda label: st.tuples(
                st.integers(0, 999), st.integers(0, 10**6), st.integers(0, 10**6)
            ).map(lambda n: label + b": %3d%% (%d/%d), 1.5 MiB | 2 KiB/s" % n)
        ),
        st.binary(max_size=40),
    ).map(lambda line: line + b"\r"),
    max_size=30,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), progress_like), cuts=st.lists(st.integers(0, 500)))
def test_the_reader_never_raises_and_any_chunking_reads_the_same(
    data: bytes, cuts: list[int]
) -> None:
    whole = _read(data, [])
    chunked = _read(data, cuts)

    assert chunked == whole
    steps, text = whole
    for before, after in itertools.pairwise(steps):
        if (before.phase, before.objects_total) == (after.phase, after.objects_total):
            assert after.percent >= before.percent
            assert after.objects_done >= before.objects_done
    for step in steps:
        assert 0 <= step.percent <= 100
        assert step.bytes_received is None or step.bytes_received >= 0
    # Nothing is lost but the progress lines themselves.
    kept = [line for line in re.split(rb"[\r\n]", data) if line.strip()]
    text_lines = text.split(b"\n") if text else []
    assert text_lines == [line for line in kept if parse_line(line) is None][-len(text_lines) :]
    for line in text_lines:
        assert parse_line(line) is None
