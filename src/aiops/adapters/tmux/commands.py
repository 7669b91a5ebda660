"""What aiops hands tmux, built without I/O: targets, the pane's argv, the window's -e flags,
the literal text for send-keys and the one format every window listing is parsed from."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from aiops.adapters.launcher.switch import DEFAULT_PATH
from aiops.domain.errors import ValidationError
from aiops.domain.model.sessions import ENV_NAME, TMUX_NAME, tmux_name
from aiops.ports.tmux import TmuxWindow, WindowSpec

ENV = "/usr/bin/env"
IDENTITY = frozenset({"HOME", "USER", "LOGNAME", "SHELL"})
# Run by the account's login shell (so .profile and .bashrc load); user text only ever follows
# as separate arguments, never inside this script.
LOGIN_SCRIPT = 'exec "$@"'
# Reads the secrets file (`export NAME='value'` lines), deletes it, then becomes the tool: the
# values reach the tool's environment without ever being in a command line.
SECRETS_SCRIPT = (
    'f=$1; shift; . "$f"; loaded=$?; rm -f -- "$f"; [ "$loaded" = 0 ] || exit "$loaded"; exec "$@"'
)
SEPARATOR = "\x1f"
ROW_FIELDS = (
    "session_name",
    "window_name",
    "pane_pid",
    "pane_dead",
    "window_activity",
    "pane_current_command",  # last: a process name is the one field that may hold anything
)
ROW_FORMAT = SEPARATOR.join(f"#{{{field}}}" for field in ROW_FIELDS)


def session_target(session: str) -> str:
    """An exact-match target: tmux otherwise also accepts a prefix or a pattern of the name."""
    return f"={tmux_name(session, field='session')}"


def window_target(session: str, window: str) -> str:
    return f"{session_target(session)}:={tmux_name(window, field='window')}"


def pane_argv(spec: WindowSpec, secrets_file: str | None = None) -> list[str]:
    """The window's command as an argv list (tmux runs two or more arguments without a shell).

    The window's own environment is set by env in front of it: `new-session -e` would set it for
    the whole session, and a tmux client that is not attached hands its own PATH to the windows
    it creates, overriding the server's and any `-e PATH=`. The values are visible in ps for a
    moment (never a secret: those go through `secrets_file`)."""
    argv = list(spec.argv)
    if "=" in argv[0]:
        raise ValidationError("command", f"{argv[0][:40]!r} is not a program name")
    if secrets_file is not None:
        argv = ["/bin/sh", "-c", SECRETS_SCRIPT, "aiops-secrets", secrets_file, *argv]
    if spec.login_shell:
        argv = [spec.account.shell, "-l", "-c", LOGIN_SCRIPT, "aiops-agent", *argv]
    return [ENV, *window_env(spec.env), *argv]


def window_env(env: Mapping[str, str]) -> list[str]:
    """`NAME=VALUE` arguments for env: PATH always, the account's identity never overridden."""
    assignments = {"PATH": DEFAULT_PATH}
    for name, value in env.items():
        _check_env(name, value)
        if name not in IDENTITY:
            assignments[name] = value
    return [f"{name}={value}" for name, value in sorted(assignments.items())]


def secrets_text(secret_env: Mapping[str, str]) -> str:
    """The secrets file: one `export NAME='value'` per variable, each value single-quoted for sh."""
    lines = []
    for name, value in sorted(secret_env.items()):
        _check_env(name, value)
        quoted = "'" + value.replace("'", "'\\''") + "'"
        lines.append(f"export {name}={quoted}\n")
    return "".join(lines)


def _check_env(name: str, value: str) -> None:
    if not ENV_NAME.fullmatch(name) or "\0" in value:
        raise ValidationError("env", f"{name[:40]!r} is not an environment variable name")


def literal_text(text: str) -> str:
    """`text` as one send-keys argument tmux takes literally: a final `;` would end the tmux
    command (tmux reads a trailing `\\;` as a plain `;`). A leading `-` is handled by `--`."""
    if "\0" in text:
        raise ValidationError("text", "cannot contain a NUL character")
    return text[:-1] + "\\;" if text.endswith(";") else text


def parse_rows(socket: str, lines: list[str]) -> list[TmuxWindow]:
    """The windows in `list-windows -F ROW_FORMAT` output; a line aiops could not address
    (a session or window name that is not a safe tmux name) is left out."""
    windows = []
    for line in lines:
        window = _parse_row(socket, line)
        if window is not None:
            windows.append(window)
    return windows


def _parse_row(socket: str, line: str) -> TmuxWindow | None:
    parts = line.split(SEPARATOR, len(ROW_FIELDS) - 1)
    if len(parts) != len(ROW_FIELDS):
        return None
    session, window, pid, dead, activity, command = parts
    if not (TMUX_NAME.fullmatch(session) and TMUX_NAME.fullmatch(window)):
        return None
    return TmuxWindow(
        socket=socket,
        session=session,
        window=window,
        pane_pid=int(pid) if pid.isdigit() else None,
        foreground=command or None,
        alive=dead != "1",
        last_activity=datetime.fromtimestamp(int(activity), UTC) if activity.isdigit() else None,
    )
