"""A clone or fetch with git's progress read as it comes: git is started as the account
(`Git.spawn`, the launcher's spawn), its merged output is parsed line by line (progress.py),
each step goes to the caller's sink, and the caller's cancel check is polled a few times a
second. A cancel, the timeout or an exception (Ctrl-C, a sink that raises) stops git: its
process group is killed (in process), or the launcher's connection closed, which kills it.

Imported with operations.py, on first use.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import time
from collections.abc import Sequence
from pathlib import Path

import attrs

from aiops.adapters.git import folders
from aiops.adapters.git.command import Git
from aiops.adapters.git.progress import ProgressReader
from aiops.adapters.launching import AccountLauncher, ActFailed, LauncherUnavailable, Spawned
from aiops.domain.errors import DomainError
from aiops.ports.git_workspaces import CancelCheck, ProgressSink, WorkTree

POLL = 0.1  # seconds between two looks at the cancel check while git is silent
REMOVAL_TRIES = 5


@attrs.frozen(kw_only=True)
class Transferred:
    returncode: int
    output: bytes  # git's messages without its progress lines: what an error quotes
    timed_out: bool = False
    cancelled: bool = False

    @property
    def stopped(self) -> bool:
        return self.timed_out or self.cancelled


def transfer(
    git: Git,
    args: Sequence[str],
    *,
    env: dict[str, str],
    timeout: float,
    cwd: Path | None = None,
    progress: ProgressSink | None = None,
    cancel: CancelCheck | None = None,
) -> Transferred:
    """`git args` to its end, or until cancelled or timed out (then stopped)."""
    spawned = git.spawn(args, env=env, cwd=cwd)
    stdin, output = spawned.fds
    os.close(stdin)  # no prompt: git reads nothing from us
    reader = ProgressReader()
    try:
        why = _pump(output, reader, progress, cancel, timeout)
    except BaseException:
        spawned.stop()
        _exit_status(spawned, stopped=True)
        raise
    finally:
        os.close(output)
    if why is not None:
        spawned.stop()
    returncode = _exit_status(spawned, stopped=why is not None)
    return Transferred(
        returncode=returncode,
        output=reader.text,
        timed_out=why == "timed_out",
        cancelled=why == "cancelled",
    )


def _pump(
    output: int,
    reader: ProgressReader,
    progress: ProgressSink | None,
    cancel: CancelCheck | None,
    timeout: float,
) -> str | None:
    """Read git's output to its end; "cancelled" or "timed_out" when it must be stopped."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(output, selectors.EVENT_READ)
        while True:
            if cancel is not None and cancel.cancelled():
                return "cancelled"
            left = deadline - time.monotonic()
            if left <= 0:
                return "timed_out"
            if not selector.select(min(left, POLL)):
                continue
            chunk = os.read(output, 65536)
            steps = reader.feed(chunk) if chunk else reader.close()
            for step in steps:
                if progress is not None:
                    progress(step)
            if not chunk:
                return None


def _exit_status(spawned: Spawned, *, stopped: bool) -> int:
    """git's exit status; a process stopped over the launcher's socket has none to give
    (closing the connection is what stopped it): that of a SIGKILL."""
    try:
        return spawned.wait()
    except (OSError, LauncherUnavailable):
        if stopped:
            return -signal.SIGKILL
        raise


def discard_clone(launcher: AccountLauncher, tree: WorkTree) -> None:
    """Remove what a stopped clone left at `tree.path`, as the account, so that no half
    folder stays. Only a real folder of the account's is removed (folders.check refuses a
    link or someone else's folder: those are left alone); a git child still dying may write
    a last file meanwhile, so the removal is tried again until nothing is there."""
    for _ in range(REMOVAL_TRIES):
        try:
            if not folders.check(launcher, tree):
                return
        except DomainError:
            return  # not the clone's own folder: never removed through a link
        with contextlib.suppress(ActFailed):
            launcher.run(
                tree.account,
                "rm",
                ["-rf", "--", str(tree.path)],
                cwd=str(tree.path.parent),
                timeout=300,
            )
        time.sleep(0.05)
