"""LauncherTmuxSessions: the TmuxSessions port over tmux's own command line, every client run
as the account that owns the server, through the launcher (docs/adr/0008).

A user controls their own tmux server, hooks included, and tmux 3.x does a command's file I/O
in the client (`save-buffer`, `load-buffer`, `pipe-pane`'s files...). So the client must never
be aiops (root, or the service account): each call is `tmux -S <socket> ...` run by the
launcher as the server's account, and whatever a hook makes it do is done with that account's
rights. One tmux call per operation (`list-windows -a -F` for a whole server).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiops.adapters.errors import AdapterError
from aiops.adapters.launching import AccountLauncher, ActFailed, Completed
from aiops.adapters.tmux.commands import (
    ROW_FORMAT,
    literal_text,
    pane_argv,
    parse_rows,
    secrets_text,
    session_target,
    window_target,
)
from aiops.adapters.tmux.files import private_folder, secrets_file
from aiops.domain.errors import AccountRefused, NotFound
from aiops.domain.model.sessions import SessionRefused, tmux_name
from aiops.log import get_logger
from aiops.ports.tmux import Launched, TmuxListing, TmuxServer, TmuxWindow, WindowSpec

log = get_logger(__name__)

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


KILLS_PER_CALL = 500  # 4 arguments each, well under the launcher's 4,096


class TmuxCommandFailed(AdapterError):
    """tmux refused a command for a reason other than a missing server, session or window,
    or did not answer in time."""

    code = "tmux_failed"


class LauncherTmuxSessions:
    def __init__(
        self, *, launcher: AccountLauncher, timeout: float = 30, read_timeout: float = 5
    ) -> None:
        self._launcher = launcher
        self._timeout = timeout
        self._read_timeout = read_timeout  # a server that hangs delays a listing this long

    def launch(self, spec: WindowSpec) -> Launched:
        session = tmux_name(spec.session, field="session")
        window = tmux_name(spec.window, field="window")
        server = _checked(spec.server)
        folder = private_folder(self._launcher, server.socket, server.account)
        rows = self._rows(server, self._timeout)
        found = next((w for w in rows if (w.session, w.window) == (session, window)), None)
        if found is not None and found.alive:
            self._run(server, "select-window", "-t", window_target(session, window))
            return Launched(window=found, created=False)
        text = secrets_text(spec.secret_env)
        with secrets_file(self._launcher, folder, server.account, text) as secrets:
            argv = pane_argv(spec, secrets)
            if found is not None:
                return Launched(window=self._respawn(spec, argv), created=True)
            if any(w.session == session for w in rows):
                created = self._new_window(spec, argv)
            else:
                created = self._new_session(spec, argv)
        return Launched(window=created, created=True)

    def windows(self, servers: Sequence[TmuxServer]) -> TmuxListing:
        """A server that fails or hangs is reported unreadable (its windows unknown) and the
        others are listed all the same: one account's server cannot break everyone's list."""
        found: list[TmuxWindow] = []
        unreadable: set[str] = set()
        for server in servers:
            try:
                found += self._rows(_checked(server), self._read_timeout)
            except (AccountRefused, SessionRefused) as refused:  # gone, as far as aiops goes
                log.info("tmux.server_refused", socket=server.socket, why=refused.message)
            except TmuxCommandFailed as failed:
                log.warning("tmux.server_unreadable", socket=server.socket, why=failed.message)
                unreadable.add(server.socket)
        return TmuxListing(windows=tuple(found), unreadable=frozenset(unreadable))

    def capture(self, server: TmuxServer, session: str, window: str, *, lines: int = 200) -> str:
        target = window_target(session, window)
        args = ("capture-pane", "-p", "-J", "-S", f"-{lines}", "-t", target)
        result = self._tmux(_checked(server), *args, timeout=self._read_timeout)
        if not _done(result):
            raise _failure(result, f"window {session}:{window}")
        return _text(result.stdout).rstrip("\n")

    def send_text(self, server: TmuxServer, session: str, window: str, text: str) -> None:
        """Literal text (send-keys -l, after `--` so a leading `-` is no flag; a final `;`
        escaped), then Enter as its own key, both in one tmux call. Newlines are typed as LF,
        which a line-mode reader takes as a line end and a TUI as a new line, not a submit."""
        target = window_target(session, window)
        literal = ["send-keys", "-l", "-t", target, "--", literal_text(text), ";"] if text else []
        self._run(_checked(server), *literal, "send-keys", "-t", target, "Enter")

    def kill_window(self, server: TmuxServer, session: str, window: str) -> None:
        self._kill(server, "kill-window", "-t", window_target(session, window))

    def kill_sessions(self, server: TmuxServer, sessions: Sequence[str]) -> None:
        """One tmux call for a few hundred. tmux stops a chain at its first failure (one of
        them gone meanwhile, say), so a chain that fails is done again one by one."""
        for start in range(0, len(sessions), KILLS_PER_CALL):
            part = sessions[start : start + KILLS_PER_CALL]
            chain = [
                arg for name in part for arg in ("kill-session", "-t", session_target(name), ";")
            ]
            if not self._kill(server, *chain[:-1], whole=True):
                for name in part:
                    self._kill(server, "kill-session", "-t", session_target(name))

    def _kill(self, server: TmuxServer, *args: str, whole: bool = False) -> bool:
        """Whether tmux did it all (`whole`) or found nothing to do. A server of an account
        aiops may no longer act as is left alone: gone, for aiops."""
        try:
            result = self._tmux(_checked(server), *args)
        except (AccountRefused, SessionRefused) as refused:
            log.info("tmux.server_refused", socket=server.socket, why=refused.message)
            return True
        if result.returncode == 0 or (not whole and _is_missing(result.stderr)):
            return True
        if whole:
            return False
        raise _failure(result, args[0])

    def _rows(self, server: TmuxServer, timeout: float) -> list[TmuxWindow]:
        result = self._tmux(server, "list-windows", "-a", "-F", ROW_FORMAT, timeout=timeout)
        if not _done(result):
            if _is_missing(result.stderr):
                return []
            raise _failure(result, f"tmux server {server.socket}")
        return parse_rows(server.socket, _text(result.stdout).splitlines())

    def _new_window(self, spec: WindowSpec, argv: list[str]) -> TmuxWindow:
        result = self._tmux(
            spec.server,
            "new-window", "-t", f"{session_target(spec.session)}:", *self._window_args(spec),
            "--", *argv, ";", *self._remain_on_exit(spec),
        )  # fmt: skip
        created = _printed(spec, result)
        if created is None:
            raise SessionRefused(f"tmux could not open the window: {_first(result.stderr)}")
        return created

    def _new_session(self, spec: WindowSpec, argv: list[str]) -> TmuxWindow:
        """A new server inherits the client's environment as its global one: the launcher's
        clean one, so no value of the first window's `env` goes in it."""
        result = self._tmux(
            spec.server,
            "new-session", "-d", "-s", spec.session, *self._window_args(spec),
            "--", *argv, ";", *self._remain_on_exit(spec),
        )  # fmt: skip
        created = _printed(spec, result)
        if created is not None:
            return created
        if "duplicate session" in _text(result.stderr):  # another launch made it meanwhile
            return self._new_window(spec, argv)
        raise SessionRefused(f"tmux could not start the session: {_first(result.stderr)}")

    def _respawn(self, spec: WindowSpec, argv: list[str]) -> TmuxWindow:
        """The window is there but its tool exited: start the tool again in it."""
        target = window_target(spec.session, spec.window)
        self._run(spec.server, "respawn-window", "-k", "-t", target, "-c", spec.cwd, "--", *argv)
        rows = self._rows(spec.server, self._timeout)
        return next(w for w in rows if (w.session, w.window) == (spec.session, spec.window))

    def _window_args(self, spec: WindowSpec) -> list[str]:
        return ["-n", spec.window, "-c", spec.cwd, "-P", "-F", ROW_FORMAT]

    def _remain_on_exit(self, spec: WindowSpec) -> list[str]:
        """Keep a window whose tool exited, dead but readable (its last output, its pane_dead),
        until aiops kills it."""
        target = window_target(spec.session, spec.window)
        return ["set-option", "-w", "-t", target, "remain-on-exit", "on"]

    def _run(self, server: TmuxServer, *args: str) -> None:
        result = self._tmux(server, *args)
        if result.returncode != 0:
            raise _failure(result, args[0])

    def _tmux(self, server: TmuxServer, *args: str, timeout: float | None = None) -> Completed:
        return run_tmux(self._launcher, server, args, timeout or self._timeout)


def run_tmux(
    launcher: AccountLauncher, server: TmuxServer, args: Sequence[str], timeout: float
) -> Completed:
    """`tmux -S <socket> args` as the server's account (AccountRefused when aiops may not act
    as it); TmuxCommandFailed when it cannot run or does not answer in time."""
    try:
        result = launcher.run(
            server.account, "tmux", ["-S", server.socket, *args], cwd="/", timeout=timeout
        )
    except ActFailed as failed:
        raise TmuxCommandFailed(
            f"tmux could not run as {server.account.name}: {failed.message}"
        ) from None
    if result.timed_out:
        raise TmuxCommandFailed(
            f"the tmux server at {server.socket} did not answer within {timeout:g} s"
        )
    return result


def _checked(server: TmuxServer) -> TmuxServer:
    """Never root's server: with aiops itself root, the launcher would act as root here."""
    if server.account.uid == 0:
        raise SessionRefused(f"{server.account.name} is root (uid 0): sessions never run as root")
    return server


def _done(result: Completed) -> bool:
    """Whether a command that prints did its work. tmux runs the server's hooks for a command
    after it (and none when it fails), so output means the command ran, whatever a hook of the
    account's did afterwards and whatever exit status that left: a hook that fails cannot
    make a listing or a capture fail."""
    return result.returncode == 0 or bool(result.stdout)


def _printed(spec: WindowSpec, result: Completed) -> TmuxWindow | None:
    """The window a `-P -F ROW_FORMAT` command printed first: it made the window (see _done)."""
    rows = parse_rows(spec.socket, _text(result.stdout).splitlines()[:1])
    return next((w for w in rows if (w.session, w.window) == (spec.session, spec.window)), None)


def _text(output: bytes) -> str:
    return output.decode(errors="replace")


def _is_missing(stderr: bytes) -> bool:
    text = _text(stderr).lower()
    return any(marker in text for marker in MISSING)


def _failure(result: Completed, what: str) -> Exception:
    if _is_missing(result.stderr):
        return NotFound(f"{what} is not running")
    return TmuxCommandFailed(f"tmux failed on {what}: {_first(result.stderr)}")


def _first(stderr: bytes) -> str:
    lines = _text(stderr).splitlines()
    return (lines[0] if lines else "no message")[:200]
