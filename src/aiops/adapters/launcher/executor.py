"""What the launcher does for one checked request: each act in a child forked for it, which
becomes the account before it touches anything.

Two requests act as root, and only on the launcher's own terms: making `<root>/<account>`
(the one folder of an account's that aiops creates on its behalf; nothing goes into it as
root) and `npm install -g` of one of the allowlisted AI CLI packages, with a fixed argv.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import selectors
import signal
import stat
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from aiops.adapters.launcher import acts
from aiops.adapters.launcher.protocol import Refused, checked, error
from aiops.adapters.launcher.switch import Account, AccountRules, become

MAX_OUTPUT = 8 * 1024 * 1024
GRACE = 2.0  # seconds to read what a killed child left in its pipes
# Plain line-based npm output: no colours, spinner, funding or audit banners, update nags.
QUIET_NPM = {
    "NO_COLOR": "1",
    "npm_config_color": "false",
    "npm_config_progress": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    "npm_config_update_notifier": "false",
}


@attrs.frozen
class Child:
    """A started process the caller streams from; `wait` gives its exit status."""

    pid: int

    def wait(self) -> int:
        return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


@attrs.frozen
class Reply:
    body: dict[str, Any]
    fds: tuple[int, ...] = ()  # handed to the caller (and closed here once sent)
    child: Child | None = None


@attrs.frozen(kw_only=True)
class Executor:
    rules: AccountRules
    programs: Mapping[str, tuple[str, ...]]  # name -> argv prefix; nothing else runs
    workspace_root: Path
    npm: str = "npm"
    packages: frozenset[str] = frozenset()
    log: Callable[..., object] = lambda *_, **__: None

    def execute(self, request: Mapping[str, Any], peer: str = "in-process") -> Reply:
        try:
            body = checked(request)
            op = body.pop("op")
            account = self.rules.resolve(body.pop("account")) if "account" in body else None
            self.log(
                "launcher.request",
                peer=peer,
                op=op,
                account=account.name if account else None,
                program=body.get("program") or body.get("package"),
            )
            return getattr(self, f"_{op}")(account, **body)  # type: ignore[no-any-return]
        except Refused as refused:
            self.log("launcher.refused", peer=peer, code=refused.code, why=refused.message)
            return Reply(error(refused.code, refused.message))
        except OSError as failure:
            self.log("launcher.failed", peer=peer, why=str(failure))
            return Reply(error("os_error", str(failure.strerror or failure)))

    def _ping(self, _: None) -> Reply:
        return Reply({"ok": True, "uid": os.geteuid()})

    def _argv(self, program: str, args: list[str]) -> list[str]:
        if program not in self.programs:
            raise Refused("program_refused", f"{program} is not an allowed program")
        return [*self.programs[program], *args]

    def _run(
        self,
        account: Account,
        *,
        program: str,
        args: list[str],
        cwd: str,
        env: dict[str, str],
        input_b64: str,
        timeout: float,
    ) -> Reply:
        argv = self._argv(program, args)
        pipes = [os.pipe2(os.O_CLOEXEC) for _ in range(3)]
        stdio = (pipes[0][0], pipes[1][1], pipes[2][1])
        try:
            pid = start(account, argv, cwd, account.environment(env), stdio)
        finally:
            for fd in stdio:
                os.close(fd)
        ends = (pipes[0][1], pipes[1][0], pipes[2][0])
        out, err, timed_out = _communicate(pid, *ends, base64.b64decode(input_b64), timeout)
        return Reply(
            {
                "ok": True,
                "rc": Child(pid).wait(),
                "stdout_b64": base64.b64encode(out).decode(),
                "stderr_b64": base64.b64encode(err).decode(),
                "timed_out": timed_out,
            }
        )

    def _spawn(
        self, account: Account, *, program: str, args: list[str], cwd: str, env: dict[str, str],
        pty: bool,
    ) -> Reply:  # fmt: skip
        argv = self._argv(program, args)
        if pty:
            mine, theirs = os.openpty()
            os.set_inheritable(mine, False)
            pairs = [(mine, theirs)]
            stdio = (theirs, theirs, theirs)
        else:
            read_in, write_in = os.pipe2(os.O_CLOEXEC)
            read_out, write_out = os.pipe2(os.O_CLOEXEC)
            pairs = [(write_in, read_in), (read_out, write_out)]
            stdio = (read_in, write_out, write_out)
        try:
            pid = start(account, argv, cwd, account.environment(env), stdio, terminal=pty)
        except Refused:
            for pair in pairs:
                os.close(pair[0])
            raise
        finally:
            for pair in pairs:
                os.close(pair[1])
        return Reply({"ok": True, "pid": pid}, tuple(pair[0] for pair in pairs), Child(pid))

    def _write_file(self, account: Account, **request: Any) -> Reply:
        data = base64.b64decode(request.pop("data_b64"))
        return in_child(account, acts.write_file, data=data, **request)

    def _read_file(self, account: Account, **request: Any) -> Reply:
        return in_child(account, acts.read_file, **request)

    def _make_dir(self, account: Account, **request: Any) -> Reply:
        return in_child(account, acts.make_dir, **request)

    def _inspect(self, account: Account, **request: Any) -> Reply:
        return in_child(account, acts.inspect, **request)

    def _make_account_dir(self, account: Account) -> Reply:
        """`<workspace root>/<account>`, 0700 and the account's: made by root in a folder only
        root may write, handed over by descriptor, never followed through a link."""
        self.workspace_root.mkdir(mode=0o755, parents=True, exist_ok=True)
        root = os.open(self.workspace_root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            info = os.fstat(root)
            if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise Refused("unsafe_root", f"{self.workspace_root} is writable by others")
            created = True
            try:
                os.mkdir(account.name, 0o700, dir_fd=root)
                os.chown(account.name, account.uid, account.gid, dir_fd=root, follow_symlinks=False)
            except FileExistsError:
                created = False
            found = os.stat(account.name, dir_fd=root, follow_symlinks=False)
        finally:
            os.close(root)
        path = self.workspace_root / account.name
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != account.uid:
            raise Refused("unsafe_path", f"{path} is not a folder of {account.name}'s")
        return Reply({"ok": True, "path": str(path), "created": created})

    def _install_cli(self, _: None, *, package: str) -> Reply:
        if package not in self.packages:
            raise Refused("package_refused", f"{package[:60]!r} is not an allowlisted package")
        argv = [self.npm, "install", "-g", f"{package}@latest"]
        env = {**os.environ, **QUIET_NPM}
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        read_out, write_out = os.pipe2(os.O_CLOEXEC)
        try:
            pid = start(None, argv, "/", env, (null, write_out, write_out))
        except Refused:
            os.close(read_out)
            raise
        finally:
            os.close(write_out)
            os.close(null)
        return Reply({"ok": True, "pid": pid}, (read_out,), Child(pid))


def start(
    account: Account | None,
    argv: list[str],
    cwd: str,
    env: Mapping[str, str],
    stdio: tuple[int, int, int],
    *,
    terminal: bool = False,
) -> int:
    """Fork a child that takes `stdio`, leads a session of its own, becomes `account` (None:
    stays as it is), enters `cwd` and execs `argv`. What fails before the exec comes back
    through a pipe as Refused, so the caller never mistakes it for the program's own exit."""
    report, report_end = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:  # pragma: no branch - coverage cannot trace the frame that forked
        _child(account, argv, cwd, env, stdio, report_end, terminal)  # pragma: no cover
    os.close(report_end)
    with os.fdopen(report, "rb") as pipe:
        why = pipe.read()
    if why:
        os.waitpid(pid, 0)
        raise Refused("start_failed", why.decode(errors="replace"))
    return pid


def _child(  # noqa: PLR0917
    account: Account | None,
    argv: list[str],
    cwd: str,
    env: Mapping[str, str],
    stdio: tuple[int, int, int],
    report: int,
    terminal: bool,
) -> None:
    step = "start"
    try:
        for number in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores them; a program won't
            signal.signal(number, signal.SIG_DFL)
        os.setsid()
        for target, fd in enumerate(stdio):
            os.dup2(fd, target)
        if terminal:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        if account is not None:
            step = f"become {account.name}"
            become(account)
        step = f"enter {cwd}"
        os.chdir(cwd)
        step = f"run {argv[0]}"
        os.execve(argv[0], argv, dict(env))  # noqa: S606 - an argv list, never a shell
    except BaseException as failure:
        reason = getattr(failure, "strerror", None) or str(failure)
        os.write(report, f"cannot {step}: {reason}".encode())
    os._exit(127)


def in_child(account: Account, act: Callable[..., dict[str, Any]], **kwargs: Any) -> Reply:
    """`act(**kwargs)` in a child forked for it that first becomes `account`; its dict comes
    back (bytes base64-encoded under `<name>_b64`)."""
    result, result_end = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:  # pragma: no branch - coverage cannot trace the frame that forked
        _act(account, act, kwargs, result_end)  # pragma: no cover
    os.close(result_end)
    with os.fdopen(result, "rb") as pipe:
        data = pipe.read()
    status = os.waitpid(pid, 0)[1]
    if not data:
        return Reply(error("failed", f"the child ended without an answer ({status})"))
    return Reply(json.loads(data))


def _act(
    account: Account, act: Callable[..., dict[str, Any]], kwargs: dict[str, Any], answer_to: int
) -> None:
    """The child of `in_child`: become the account, act, write the answer, exit."""
    try:
        become(account)
        answer = {"ok": True, **_wire(act(**kwargs))}
    except OSError as failure:
        answer = error("os_error", str(failure.strerror or failure))
    except BaseException as failure:
        answer = error("failed", str(failure))
    _write_all(answer_to, json.dumps(answer).encode())
    os._exit(0)


def _wire(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{key}_b64" if isinstance(value, bytes) else key: (
            base64.b64encode(value).decode() if isinstance(value, bytes) else value
        )
        for key, value in answer.items()
    }


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def _communicate(  # noqa: PLR0917
    pid: int, stdin: int, stdout: int, stderr: int, data: bytes, timeout: float
) -> tuple[bytes, bytes, bool]:
    """Feed `data`, collect both outputs until they close or `timeout` passes (then the
    child's whole session is killed); the output past MAX_OUTPUT is dropped."""
    chunks: dict[int, list[bytes]] = {stdout: [], stderr: []}
    size = 0
    pending = memoryview(data)
    with selectors.DefaultSelector() as selector:
        if pending:
            os.set_blocking(stdin, False)
            selector.register(stdin, selectors.EVENT_WRITE)
        else:
            os.close(stdin)
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        killed = False
        while selector.get_map() and time.monotonic() < deadline + GRACE:
            if time.monotonic() >= deadline and not killed:
                Child(pid).kill()  # then read what it wrote until the pipes close
                killed = True
            for key, _ in selector.select(min(max(deadline - time.monotonic(), 0.05), GRACE)):
                fd = int(key.fd)
                if fd == stdin:
                    try:
                        pending = pending[os.write(fd, pending) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    chunk = b"" if not pending else b"-"
                else:
                    chunk = os.read(fd, 65536)
                    if size < MAX_OUTPUT:
                        chunks[fd].append(chunk[: MAX_OUTPUT - size])
                        size += len(chunk)
                if not chunk:
                    selector.unregister(fd)
                    os.close(fd)
        for key in list(selector.get_map().values()):  # a descendant kept a pipe open
            os.close(int(key.fd))
    return b"".join(chunks[stdout]), b"".join(chunks[stderr]), killed
