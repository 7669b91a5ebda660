"""send_text types any text byte-exact: hundreds of generated strings (with `;` at the end,
a leading `-`, quotes, backslashes, braces, `$`, `~`, newlines, tabs, control characters and
any Unicode) go through tmux into a pane whose reader, in raw mode, writes every byte it gets
to a file, and come back as the UTF-8 of the text followed by Enter (CR).

Left out, because they cannot be in a command line at all: NUL, and lone surrogates (no
UTF-8). Every other character round-trips, control characters included (the reader's terminal
is raw; a program in cooked mode would act on ^C, ^D, ^U and friends, as it would if a person
typed them)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiops.adapters.tmux import LauncherTmuxSessions
from aiops.ports.tmux import TmuxServer, WindowSpec
from tests.integration.tmux.conftest import wait_for

READER = """import os, sys, tty
tty.setraw(0)
with open(sys.argv[1], "ab", buffering=0) as out:
    print("reading", flush=True)
    while data := os.read(0, 65536):
        out.write(data)
"""
EXAMPLES = 60  # ~700 texts, ~45 s: each is a tmux call through the launcher
TRAPS = st.sampled_from(
    [
        "",
        ";",
        "\\;",
        "-",
        "--",
        "-l",
        "'",
        '"',
        "\\",
        "{",
        "}",
        "$HOME",
        "~",
        "\n",
        "\t",
        "#{pane_id}",
    ]
)
TEXT = st.lists(
    st.one_of(TRAPS, st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"))),
    max_size=6,
).map("".join)


def test_send_text_round_trips_any_text_byte_exact(
    sessions: LauncherTmuxSessions,
    spec: Callable[..., WindowSpec],
    workspace: Path,
    server: TmuxServer,
) -> None:
    received = workspace / "received"
    reader = workspace / "reader.py"
    reader.write_text(READER)
    launched = sessions.launch(spec(argv=("python3", str(reader), str(received))))
    window = launched.window
    wait_for(
        lambda: "reading" in sessions.capture(server, window.session, window.window),
        "the reader",
    )
    read = 0
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(TEXT, min_size=5, max_size=20))
    def round_trip(texts: list[str]) -> None:
        nonlocal read, sent
        for text in texts:
            sessions.send_text(server, window.session, window.window, text)
        sent += len(texts)
        expected = "".join(text + "\r" for text in texts).encode()
        deadline = time.monotonic() + 3
        while received.stat().st_size < read + len(expected) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.01)  # anything sent beyond what is expected shows up too
        data = received.read_bytes()[read:]
        read += len(data)
        assert data == expected

    round_trip()
    assert sent >= EXAMPLES * 5, sent  # every example ran (typically 500-800 texts)
