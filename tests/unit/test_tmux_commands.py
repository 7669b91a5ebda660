"""What the tmux adapter hands tmux, checked without tmux: targets, the pane's argv, the
send-keys text and the parsing of window listings."""

from __future__ import annotations

import pytest

from aiops.adapters.launcher.switch import DEFAULT_PATH
from aiops.adapters.tmux.commands import (
    ENV,
    LOGIN_SCRIPT,
    SECRETS_SCRIPT,
    SEPARATOR,
    literal_text,
    pane_argv,
    parse_rows,
    secrets_text,
    window_target,
)
from aiops.domain.errors import ValidationError
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import WindowSpec

ALICE = LinuxAccount("alice", 1000, 1000, "/home/alice", "/bin/bash")


def spec(**changes: object) -> WindowSpec:
    values: dict[str, object] = {
        "socket": "/run/aiops/tmux/alice/default",
        "session": "acme-p1",
        "window": "alice-codex",
        "account": ALICE,
        "cwd": "/srv/work",
        "argv": ("codex", "--model", "x; rm -rf ~"),
        "login_shell": False,
    }
    return WindowSpec(**(values | changes))  # type: ignore[arg-type]


def test_targets_match_names_exactly_so_no_prefix_or_index_is_taken() -> None:
    assert window_target("acme-p1", "alice-codex") == "=acme-p1:=alice-codex"
    with pytest.raises(ValidationError):
        window_target("acme-p1", "alice:codex")


@pytest.mark.parametrize(
    ("text", "sent"),
    [("hi", "hi"), ("ends;", "ends\\;"), (";", "\\;"), ("a\\;", "a\\\\;"), ("-l", "-l"), ("", "")],
)
def test_literal_text_escapes_only_a_final_semicolon(text: str, sent: str) -> None:
    assert literal_text(text) == sent


def test_literal_text_refuses_nul() -> None:
    with pytest.raises(ValidationError):
        literal_text("a\0b")


def test_the_pane_runs_argv_directly_with_a_default_path() -> None:
    assert pane_argv(spec()) == [ENV, f"PATH={DEFAULT_PATH}", "codex", "--model", "x; rm -rf ~"]


def test_the_window_env_goes_before_the_command_and_cannot_change_the_identity() -> None:
    argv = pane_argv(spec(env={"PATH": "/opt/bin", "HOME": "/elsewhere", "NODE_ENV": "dev"}))

    assert argv == [ENV, "NODE_ENV=dev", "PATH=/opt/bin", "codex", "--model", "x; rm -rf ~"]


def test_login_shell_and_secrets_wrap_the_argv_with_constant_scripts() -> None:
    argv = pane_argv(spec(login_shell=True), secrets_file="/run/s/.aiops-env-1")

    assert argv == [
        ENV,
        f"PATH={DEFAULT_PATH}",
        "/bin/bash", "-l", "-c", LOGIN_SCRIPT, "aiops-agent",
        "/bin/sh", "-c", SECRETS_SCRIPT, "aiops-secrets", "/run/s/.aiops-env-1",
        "codex", "--model", "x; rm -rf ~",
    ]  # fmt: skip


def test_a_program_name_env_would_read_as_an_assignment_is_refused() -> None:
    with pytest.raises(ValidationError):
        pane_argv(spec(argv=("A=b", "x")))


def test_secrets_are_single_quoted_for_sh() -> None:
    text = secrets_text({"API_KEY": "it's $(x) `y`", "B": ""})

    assert text == "export API_KEY='it'\\''s $(x) `y`'\nexport B=''\n"
    with pytest.raises(ValidationError):
        secrets_text({"bad name": "x"})


def test_parse_rows_reads_windows_and_leaves_out_what_aiops_cannot_address() -> None:
    def line(*fields: str) -> str:
        return SEPARATOR.join(fields)

    rows = parse_rows(
        "/s",
        [
            line("acme-p1", "alice-codex", "42", "0", "1790000000", "node"),
            line("acme-p1", "bob-shell", "43", "1", "1790000001", "odd\x1fname"),
            line("My Session", "x", "44", "0", "1790000000", "bash"),
            "garbage",
        ],
    )

    assert [(w.window, w.pane_pid, w.alive, w.foreground) for w in rows] == [
        ("alice-codex", 42, True, "node"),
        ("bob-shell", 43, False, "odd\x1fname"),
    ]
    assert rows[0].last_activity is not None
    assert rows[0].last_activity.timestamp() == 1790000000
