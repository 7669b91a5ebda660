"""LibtmuxSessions: the TmuxSessions port over libtmux, one tmux server per Linux account.

A missing server or session is started *as the account* (so the server, and every window it
forks, runs as that user) in a clean environment; everything else goes through the socket with
libtmux's `Server.cmd`, one tmux call per operation (`list-windows -a -F` for a whole server),
rather than libtmux's object API, which would cost a call per session.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

import libtmux

from aiops.adapters.tmux.commands import (
    ROW_FORMAT,
    literal_text,
    pane_argv,
    parse_rows,
    secrets_text,
    session_target,
    window_target,
)
from aiops.adapters.tmux.files import private_folder, remove_stale_secrets, secrets_file
from aiops.adapters.user_switch import run_as, switch_needed
from aiops.domain.errors import NotFound
from aiops.domain.model.sessions import SessionRefused, tmux_name
from aiops.ports.tmux import Launched, TmuxWindow, WindowSpec

# What tmux says when a server, session or window is not there (not an error for a listing
# or a kill): no socket, a stale one, no such target, or a server whose last session has just
# gone and which is on its way out. "Permission denied" is not among them.
MISSING = (
    "no server running",
    "(no such file or directory)",
    "(connection refused)",
    "can't find",
    "no current target",
    "server exited unexpectedly",
)


class TmuxCommandFailed(RuntimeError):
    """tmux refused a command for a reason other than a missing server, session or window."""


class LibtmuxSessions:
    def __init__(self, *, tmux_bin: str | None = None, timeout: float = 30) -> None:
        self._tmux_bin = tmux_bin or shutil.which("tmux") or "tmux"
        self._timeout = timeout

    def launch(self, spec: WindowSpec) -> Launched:
        session = tmux_name(spec.session, field="session")
        window = tmux_name(spec.window, field="window")
        switch = switch_needed(spec.account)
        folder = private_folder(spec.socket, spec.account, switch=switch)
        remove_stale_secrets(folder)
        rows = self._rows(spec.socket)
        found = next((w for w in rows if (w.session, w.window) == (session, window)), None)
        if found is not None and found.alive:
            self._run(spec.socket, "select-window", "-t", window_target(session, window))
            return Launched(window=found, created=False)
        with secrets_file(
            folder, spec.account, secrets_text(spec.secret_env), switch=switch
        ) as secrets:
            argv = pane_argv(spec, secrets)
            if found is not None:
                return Launched(window=self._respawn(spec, argv), created=True)
            if any(w.session == session for w in rows):
                lines = self._new_window(spec, argv)
            else:
                lines = self._new_session(spec, argv)
        (created,) = parse_rows(spec.socket, lines[:1])
        return Launched(window=created, created=True)

    def windows(self, sockets: Sequence[str]) -> Sequence[TmuxWindow]:
        return [window for socket in sockets for window in self._rows(socket)]

    def capture(self, socket: str, session: str, window: str, *, lines: int = 200) -> str:
        target = window_target(session, window)
        result = self._server(socket).cmd(
            "capture-pane", "-p", "-J", "-S", f"-{lines}", "-t", target
        )
        if result.returncode != 0:
            raise _failure(result.stderr, f"window {session}:{window}")
        return "\n".join(result.stdout)

    def send_text(self, socket: str, session: str, window: str, text: str) -> None:
        """Literal text (send-keys -l, after `--` so a leading `-` is no flag; a final `;`
        escaped), then Enter as its own key, both in one tmux call. Newlines are typed as LF,
        which a line-mode reader takes as a line end and a TUI as a new line, not a submit."""
        target = window_target(session, window)
        literal = ["send-keys", "-l", "-t", target, "--", literal_text(text), ";"] if text else []
        self._run(socket, *literal, "send-keys", "-t", target, "Enter")

    def kill_window(self, socket: str, session: str, window: str) -> None:
        self._run(socket, "kill-window", "-t", window_target(session, window), missing_ok=True)

    def kill_session(self, socket: str, session: str) -> None:
        self._run(socket, "kill-session", "-t", session_target(session), missing_ok=True)

    def _rows(self, socket: str) -> list[TmuxWindow]:
        result = self._server(socket).cmd("list-windows", "-a", "-F", ROW_FORMAT)
        if result.returncode != 0:
            if _is_missing(result.stderr):
                return []
            raise _failure(result.stderr, f"tmux server {socket}")
        return parse_rows(socket, result.stdout)

    def _new_window(self, spec: WindowSpec, argv: list[str]) -> list[str]:
        """Through the socket as aiops: the server forks the window as its own user."""
        result = self._server(spec.socket).cmd(
            "new-window",
            "-t",
            f"{session_target(spec.session)}:",
            *self._window_args(spec),
            "--",
            *argv,
            ";",
            *self._remain_on_exit(spec),
        )
        if result.returncode != 0:
            raise SessionRefused(f"tmux could not open the window: {_first(result.stderr)}")
        return list(result.stdout)

    def _respawn(self, spec: WindowSpec, argv: list[str]) -> TmuxWindow:
        """The window is there but its tool exited: start the tool again in it."""
        target = window_target(spec.session, spec.window)
        self._run(spec.socket, "respawn-window", "-k", "-t", target, "-c", spec.cwd, "--", *argv)
        rows = self._rows(spec.socket)
        return next(w for w in rows if (w.session, w.window) == (spec.session, spec.window))

    def _new_session(self, spec: WindowSpec, argv: list[str]) -> list[str]:
        """As the account, in a clean environment: a new server inherits that environment as
        its global one (so no value of the first window's `env` goes in it)."""
        tmux = [self._tmux_bin, "-S", spec.socket]
        result = run_as(
            spec.account,
            [
                *tmux,
                "new-session",
                "-d",
                "-s",
                spec.session,
                *self._window_args(spec),
                "--",
                *argv,
                ";",
                *self._remain_on_exit(spec),
            ],
            cwd="/",
            timeout=self._timeout,
        )
        if result.returncode != 0:
            error = result.stderr.decode(errors="replace").splitlines()
            if "duplicate session" in " ".join(error):  # another launch made it meanwhile
                return self._new_window(spec, argv)
            raise SessionRefused(f"tmux could not start the session: {_first(error)}")
        return result.stdout.decode(errors="replace").splitlines()

    def _window_args(self, spec: WindowSpec) -> list[str]:
        return ["-n", spec.window, "-c", spec.cwd, "-P", "-F", ROW_FORMAT]

    def _remain_on_exit(self, spec: WindowSpec) -> list[str]:
        """Keep a window whose tool exited, dead but readable (its last output, its pane_dead),
        until aiops kills it."""
        target = window_target(spec.session, spec.window)
        return ["set-option", "-w", "-t", target, "remain-on-exit", "on"]

    def _run(self, socket: str, *args: str, missing_ok: bool = False) -> None:
        result = self._server(socket).cmd(*args)
        if result.returncode == 0 or (missing_ok and _is_missing(result.stderr)):
            return
        raise _failure(result.stderr, args[0])

    def _server(self, socket: str) -> libtmux.Server:
        return libtmux.Server(socket_path=socket, tmux_bin=self._tmux_bin)


def _is_missing(stderr: Sequence[str]) -> bool:
    text = " ".join(stderr).lower()
    return any(marker in text for marker in MISSING)


def _failure(stderr: Sequence[str], what: str) -> Exception:
    if _is_missing(stderr):
        return NotFound(f"{what} is not running")
    return TmuxCommandFailed(f"tmux failed on {what}: {_first(stderr)}")


def _first(lines: Sequence[str]) -> str:
    return (lines[0] if lines else "no message")[:200]
