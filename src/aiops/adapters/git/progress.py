"""git's progress lines, read as git writes them: pure functions and one small reader.

With `--progress` git reports each phase on its error stream, rewriting one line with `\\r`
("Receiving objects:  45% (4500/10000), 1.20 MiB | 1.00 MiB/s") and ending it with ", done."
and `\\n`; the remote's phases come prefixed "remote: ". ProgressReader takes the merged
output in chunks of any size, turns each progress line into a TransferProgress and keeps
every other line (git's messages, its errors) for the error a failure raises. It never
raises, whatever the bytes: a line it does not know is text.
"""

from __future__ import annotations

import re
from collections import deque

from aiops.domain.model.workspaces import TransferPhase, TransferProgress

PHASES = {
    b"Enumerating objects": TransferPhase.COUNTING,
    b"Counting objects": TransferPhase.COUNTING,
    b"Compressing objects": TransferPhase.COMPRESSING,
    b"Receiving objects": TransferPhase.RECEIVING,
    b"Unpacking objects": TransferPhase.RECEIVING,  # a small fetch: loose objects, no pack
    b"Resolving deltas": TransferPhase.RESOLVING,
    b"Updating files": TransferPhase.UPDATING,
    b"Checking out files": TransferPhase.UPDATING,
}
_LINE = re.compile(
    rb"(?:remote: +)?(?P<label>[A-Z][a-z]+ [a-z]+): +"
    rb"(?:(?P<percent>\d{1,3})% \((?P<done>\d{1,15})/(?P<total>\d{1,15})\)|(?P<count>\d{1,15}))"
    rb"(?:, (?P<size>\d{1,9}(?:\.\d{1,2})?) (?P<unit>bytes?|KiB|MiB|GiB|TiB))?"
)
_UNITS = {b"byte": 1, b"bytes": 1, b"KiB": 1 << 10, b"MiB": 1 << 20, b"GiB": 1 << 30,
          b"TiB": 1 << 40}  # fmt: skip
_NOISE = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")  # the "clear to end of line" git's remote sends
MAX_LINE = 64 * 1024  # a "line" longer than this is cut (a stream without line ends)
MAX_TEXT_LINES = 200  # git's last messages: what an error needs


def parse_line(line: bytes) -> tuple[TransferPhase, int, int, int, int | None] | None:
    """(phase, percent, done, total, bytes) of one progress line; None for any other line.
    A count without a total (Enumerating objects: 1234) has total 0 and percent 0, or 100
    once ", done."."""
    match = _LINE.match(_NOISE.sub(b"", line).strip())
    if match is None or match["label"] not in PHASES:
        return None
    size = None
    if match["size"] is not None:
        size = int(float(match["size"]) * _UNITS[match["unit"]])
    if match["percent"] is None:
        done = int(match["count"])
        return PHASES[match["label"]], 100 if line.rstrip().endswith(b"done.") else 0, done, 0, size
    percent = min(int(match["percent"]), 100)
    return PHASES[match["label"]], percent, int(match["done"]), int(match["total"]), size


class ProgressReader:
    """Chunks of git's merged output in; its progress steps out, its other lines kept.

    A phase's percent never goes back while its total stays the same (a line cut short or
    repeated does not make the bar jump back); a new total (a second pack) starts again."""

    def __init__(self) -> None:
        self._pending = b""
        self._text: deque[bytes] = deque(maxlen=MAX_TEXT_LINES)
        self._bytes: int | None = None
        self._last: TransferProgress | None = None

    def feed(self, chunk: bytes) -> list[TransferProgress]:
        lines = re.split(rb"[\r\n]", self._pending + chunk)
        self._pending = lines.pop()
        if len(self._pending) > MAX_LINE:
            lines.append(self._pending)
            self._pending = b""
        return [step for line in lines if (step := self._line(line)) is not None]

    def close(self) -> list[TransferProgress]:
        """The last, unfinished line."""
        line, self._pending = self._pending, b""
        step = self._line(line)
        return [] if step is None else [step]

    @property
    def text(self) -> bytes:
        """git's lines that were not progress, in order (the last MAX_TEXT_LINES)."""
        return b"\n".join(self._text)

    def _line(self, line: bytes) -> TransferProgress | None:
        parsed = parse_line(line)
        if parsed is None:
            if line.strip():
                self._text.append(line)
            return None
        phase, percent, done, total, size = parsed
        if size is not None:
            self._bytes = size
        last = self._last
        if last is not None and (last.phase, last.objects_total) == (phase, total):
            percent = max(percent, last.percent)
            done = max(done, last.objects_done)
        step = TransferProgress(
            phase=phase,
            percent=percent,
            objects_done=done,
            objects_total=total,
            bytes_received=self._bytes,
        )
        self._last = step
        return step
