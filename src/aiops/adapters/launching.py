"""AccountLauncher: how every adapter acts in a user's space — as that user's Linux account.

Work for the account aiops itself runs as (`account=None`, or the same uid) is done here, in
this process. Work for any other account goes to the launcher (adapters/launcher/), the one
piece of aiops that runs as root: over its unix socket when aiops runs as the service account
(`SocketBackend`), or by calling it in this process when aiops itself runs as root
(`InProcessBackend`: the CLI of an operator, the tests). Without either, such work is refused
with one line.

Every request names a program of the launcher's table (git, tmux, ...), never a path: the
launcher decides what runs.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pwd
import socket
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from aiops.adapters.errors import AdapterError
from aiops.adapters.launcher import acts
from aiops.adapters.launcher.protocol import decode, encode
from aiops.adapters.launcher.switch import DEFAULT_PATH
from aiops.domain.errors import AccountRefused, DomainError
from aiops.ports.linux_users import LinuxAccount

if TYPE_CHECKING:  # the executor and the server load only where they serve (a quick status)
    from aiops.adapters.launcher.executor import Executor

REFUSALS = frozenset(
    {"account_refused", "peer_refused", "program_refused", "package_refused", "unsafe_root",
     "unsafe_path"}
)  # fmt: skip


class LauncherUnavailable(AdapterError):
    code = "launcher_unavailable"


class ActFailed(DomainError):
    """The act ran as the account and the system said no (permission, missing folder...)."""

    code = "act_failed"


@attrs.frozen
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


@attrs.frozen
class PathInfo:
    kind: str  # dir, file, link or other
    uid: int
    mode: int


@attrs.frozen
class Inspection:
    path: PathInfo | None
    parent: PathInfo | None


@attrs.define
class Spawned:
    """A process started for the caller: its descriptors (stdin and stdout, or a pty), and
    how to wait for its exit status or stop it."""

    fds: tuple[int, ...]
    wait: Callable[[], int]
    stop: Callable[[], None]


class Backend(Protocol):
    def call(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def open(self, request: dict[str, Any]) -> Spawned: ...


class SocketBackend:
    """The launcher daemon, one connection per request."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _connect(self) -> socket.socket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(self.path)
        except OSError as error:
            connection.close()
            raise LauncherUnavailable(
                f"the launcher at {self.path} is not answering ({error.strerror}): "
                "start it (`aiops launcher`, or `aiops serve` as root)"
            ) from None
        return connection

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._connect() as connection:
            connection.sendall(encode(request))
            return _reply(connection)

    def open(self, request: dict[str, Any]) -> Spawned:
        connection = self._connect()
        try:
            connection.sendall(encode(request))
            first, fds, _, _ = socket.recv_fds(connection, 1, 4)
            reply = _check(decode(_rest(connection, first)))
        except BaseException:
            connection.close()
            raise

        def wait() -> int:
            with connection:
                return int(_reply(connection)["exit"])

        assert reply.get("ok")
        return Spawned(fds=tuple(fds), wait=wait, stop=connection.close)


def _rest(connection: socket.socket, first: bytes) -> bytes:
    """The frame whose first byte came with the descriptors."""
    if not first:
        raise LauncherUnavailable("the launcher closed the connection")
    header = first + connection.recv(3, socket.MSG_WAITALL)
    size = int.from_bytes(header, "big")
    return connection.recv(size, socket.MSG_WAITALL)


def _reply(connection: socket.socket) -> dict[str, Any]:
    from aiops.adapters.launcher.server import read_frame  # noqa: PLC0415 - see the imports

    body = read_frame(connection)
    if body is None:
        raise LauncherUnavailable("the launcher closed the connection")
    return _check(decode(body))


def _check(reply: dict[str, Any]) -> dict[str, Any]:
    if "error" not in reply:
        return reply
    code, message = reply["error"]["code"], reply["error"]["message"]
    if code in REFUSALS:
        raise AccountRefused(message)
    raise ActFailed(message)


class InProcessBackend:
    """The launcher's own executor, called in this (root) process: each act still runs in a
    child that becomes the account first."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        return _check(self.executor.execute(request).body)

    def open(self, request: dict[str, Any]) -> Spawned:
        reply = self.executor.execute(request)
        _check(reply.body)
        child = reply.child
        assert child is not None
        return Spawned(fds=reply.fds, wait=child.wait, stop=child.kill)


@attrs.frozen(kw_only=True)
class AccountLauncher:
    backend: Backend | None
    programs: Mapping[str, tuple[str, ...]]
    workspace_root: Path

    def run(
        self,
        account: LinuxAccount | None,
        program: str,
        args: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        input: bytes = b"",
        timeout: float = 60,
    ) -> Completed:
        """`program args` as the account, in `cwd`, its output captured."""
        request = {"program": program, "args": list(args), "cwd": cwd, "env": dict(env or {})}
        if self._here(account):
            return _run_here(self._argv(program, args), cwd, self._env(env), input, timeout)
        reply = self._send(account, "run", **request, input_b64=_b64(input), timeout=timeout)
        return Completed(
            reply["rc"],
            base64.b64decode(reply["stdout_b64"]),
            base64.b64decode(reply["stderr_b64"]),
            reply["timed_out"],
        )

    def spawn(
        self,
        account: LinuxAccount | None,
        program: str,
        args: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str] | None = None,
        pty: bool = False,
    ) -> Spawned:
        """A long-lived process whose stdio (or pty) comes back as descriptors."""
        request = {"program": program, "args": list(args), "cwd": cwd, "env": dict(env or {})}
        if self._here(account):
            return _spawn_here(self._argv(program, args), cwd, self._env(env), pty=pty)
        assert account is not None
        return self._backend().open({"op": "spawn", "account": account.name, **request, "pty": pty})

    def write_file(
        self, account: LinuxAccount | None, path: str, data: bytes, *, mode: int = 0o600,
        exclusive: bool = False,
    ) -> None:  # fmt: skip
        """Replace `path` in one rename (an existing file keeps its mode), or with `exclusive`
        make a new one (refused when anything is there)."""
        if self._here(account):
            self._act(acts.write_file, path, data, mode, exclusive=exclusive)
            return
        self._send(
            account, "write_file", path=path, data_b64=_b64(data), mode=mode, exclusive=exclusive
        )

    def read_file(
        self, account: LinuxAccount | None, path: str, *, limit: int = 4 * 1024 * 1024
    ) -> bytes | None:
        """The file's bytes (None: no file; a symlink is refused)."""
        if self._here(account):
            answer = self._act(acts.read_file, path, limit)
            return None if answer.get("missing") else answer["data"]
        reply = self._send(account, "read_file", path=path, limit=limit)
        return None if reply.get("missing") else base64.b64decode(reply["data_b64"])

    def make_dir(
        self, account: LinuxAccount | None, path: str, *, mode: int = 0o700, parents: bool = False
    ) -> bool:
        """The folder, made when missing; it must end up a real folder of the account's, at
        `mode`. True when it was made now."""
        if self._here(account):
            return bool(self._act(acts.make_dir, path, mode, parents=parents)["created"])
        return bool(
            self._send(account, "make_dir", path=path, mode=mode, parents=parents)["created"]
        )

    def inspect(self, account: LinuxAccount | None, path: str) -> Inspection:
        """What is at `path` and its parent, as the account sees them (links not followed)."""
        if self._here(account):
            answer = self._act(acts.inspect, path)
        else:
            answer = self._send(account, "inspect", path=path)
        return Inspection(*(PathInfo(**found) if found else None for found in (
            answer["path"], answer["parent"])))  # fmt: skip

    def make_account_dir(self, account: LinuxAccount | None, name: str) -> Path:
        """`<workspace root>/<name>` (name: the account's, or for aiops's own account a
        user's name), 0700 and the account's; refused when it belongs to anyone else."""
        if self._here(account):
            path = self.workspace_root / name
            self._act(_make_root, self.workspace_root)  # as the launcher makes it
            self._act(acts.make_dir, str(path), 0o700, parents=False)
            return path
        return Path(self._send(account, "make_account_dir")["path"])

    def install_cli(self, package: str) -> Spawned:
        """`npm install -g <package>@latest` as root (an allowlisted package only): its merged
        output comes back as one descriptor."""
        return self._backend().open({"op": "install_cli", "package": package})

    def _here(self, account: LinuxAccount | None) -> bool:
        """Whether the act is aiops's own (None, or its own uid). An account that is root is
        refused even when aiops itself is root: acting *for* someone never means as root."""
        if account is not None and account.uid == 0:
            raise AccountRefused(f"{account.name} is root (uid 0): aiops never acts as root")
        return account is None or account.uid == os.geteuid()

    def _backend(self) -> Backend:
        if self.backend is None:
            raise AccountRefused(
                f"aiops runs as {_me()}, not as root and without a launcher: it acts only as "
                f"{_me()}"
            )
        return self.backend

    def _send(self, account: LinuxAccount | None, op: str, **fields: Any) -> dict[str, Any]:
        assert account is not None
        return self._backend().call({"op": op, "account": account.name, **fields})

    def _argv(self, program: str, args: Sequence[str]) -> list[str]:
        if program not in self.programs:
            raise AccountRefused(f"{program} is not an allowed program")
        return [*self.programs[program], *args]

    def _env(self, env: Mapping[str, str] | None) -> dict[str, str]:
        me = pwd.getpwuid(os.geteuid())
        base = {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8"}
        identity = {"HOME": me.pw_dir, "USER": me.pw_name, "LOGNAME": me.pw_name}
        return base | dict(env or {}) | identity | {"SHELL": me.pw_shell or "/bin/sh"}

    def _act(self, act: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return act(*args, **kwargs)
        except OSError as error:
            raise ActFailed(str(error.strerror or error)) from None


def _make_root(root: Path) -> dict[str, Any]:
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    return {}


def _me() -> str:
    try:
        return f"{pwd.getpwuid(os.geteuid()).pw_name} (uid {os.geteuid()})"
    except KeyError:
        return f"uid {os.geteuid()}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _run_here(
    argv: list[str], cwd: str, env: dict[str, str], data: bytes, timeout: float
) -> Completed:
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise ActFailed(f"cannot run {argv[0]} in {cwd}: {error.strerror or error}") from None
    with process:
        try:
            out, err = process.communicate(data, timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            out, err = process.communicate()
            timed_out = True
    return Completed(process.returncode, out, err, timed_out)


def _spawn_here(argv: list[str], cwd: str, env: dict[str, str], *, pty: bool) -> Spawned:
    if pty:
        mine, theirs = os.openpty()
        stdio: dict[str, Any] = {"stdin": theirs, "stdout": theirs, "stderr": theirs}
    else:
        stdio = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
    try:
        process = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, **stdio)
    except OSError as error:
        raise ActFailed(f"cannot run {argv[0]} in {cwd}: {error.strerror or error}") from None
    finally:
        if pty:
            os.close(theirs)
    if pty:
        fds: tuple[int, ...] = (mine,)
    else:
        assert process.stdin is not None
        assert process.stdout is not None
        fds = (os.dup(process.stdin.fileno()), os.dup(process.stdout.fileno()))
        process.stdin.close()
        process.stdout.close()

    def stop() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)

    return Spawned(fds=fds, wait=process.wait, stop=stop)
