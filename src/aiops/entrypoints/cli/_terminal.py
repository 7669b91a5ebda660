"""What the command line prints reaches a terminal, which obeys control characters: an issue
title holding `ESC ] 52 ;` writes the clipboard, `ESC ] 0 ;` the window's title, CR rewrites
the line. So `main` wraps stdout and stderr in `TerminalStream`: every character written
through them passes `for_terminal`, and a control character (C0 but tab and newline, DEL, C1)
arrives as a visible escape (`\\x1b`). Tables and one-line errors escape newlines too (see
`_runtime.print_table`). `--json` output is written to the stream underneath (`exact`): JSON
escapes C0 itself, and `json_text` escapes DEL and C1, so the document stays exact.
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

from aiops.domain.model.outside_text import for_terminal

_JSON_UNESCAPED = re.compile(r"[\x7f-\x9f\u2028\u2029]")


class TerminalStream:
    """A text stream that shows control characters as visible escapes."""

    def __init__(self, stream: TextIO) -> None:
        self.exact = stream

    def write(self, text: str) -> int:
        self.exact.write(for_terminal(text, newlines=True))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.exact, name)


def install() -> None:
    """Wrap this process's stdout and stderr (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, TerminalStream):
            setattr(sys, name, TerminalStream(stream))


def exact(stream: TextIO) -> TextIO:
    """The stream underneath a TerminalStream (for JSON), else the stream itself."""
    return stream.exact if isinstance(stream, TerminalStream) else stream


def json_text(document: str) -> str:
    """A JSON document (from json.dumps with ensure_ascii=False) with DEL, C1 and the Unicode
    line separators written as \\u escapes: the same value, nothing a terminal obeys. These
    characters occur only inside strings, where an escape means the character itself."""
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
