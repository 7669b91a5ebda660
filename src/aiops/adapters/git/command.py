"""Running git in a work tree as the tree's account, through the launcher.

Every git process gets the same safety options: no fsmonitor hook, no hooks at all, no
`ext::` transport, an argv list (never a shell), no prompt, the C locale (its messages are
parsed), and no repository discovery above the workspace's folder. They are not what keeps a
user's repository from running commands with aiops's rights (git runs as the account, which
could run them anyway); they keep aiops's own operations predictable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aiops.adapters.git import folders
from aiops.adapters.launching import AccountLauncher, Completed, Spawned
from aiops.domain.errors import DomainError
from aiops.domain.model.workspaces import WorkspaceMissing
from aiops.ports.git_workspaces import WorkTree

SAFE = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.ext.allow=never",
)  # fmt: skip
LOCAL_TIMEOUT = 120.0


class Git:
    """git as one work tree's account, in that tree (or, for a clone, in its parent). A plain
    class: making an attrs class is import-time work a one-shot status need not pay.

    `env` goes to every git process it runs: the credentials of a partial clone's lazy
    fetches (origin.lazy_blobs)."""

    __slots__ = ("env", "launcher", "tree")

    def __init__(
        self, launcher: AccountLauncher, tree: WorkTree, env: Mapping[str, str] | None = None
    ) -> None:
        self.launcher = launcher
        self.tree = tree
        self.env = env

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = LOCAL_TIMEOUT,
    ) -> Completed:
        where = cwd or self.tree.path
        return self.launcher.run(
            self.tree.account,
            "git",
            [*SAFE, *args],
            cwd=str(where),
            env=_environment(where, self.env, env),
            timeout=timeout,
        )

    def spawn(
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> Spawned:
        """git started as the account, its output and errors merged on one descriptor (the
        second of `fds`), read as it comes (transfer.py)."""
        where = cwd or self.tree.path
        return self.launcher.spawn(
            self.tree.account,
            "git",
            [*SAFE, *args],
            cwd=str(where),
            env=_environment(where, self.env, env),
        )

    def out(self, args: Sequence[str], *, env: Mapping[str, str] | None = None) -> bytes:
        """git's output; a failure is WorkspaceMissing outside a work tree, else a DomainError
        with git's own last line."""
        result = self.run(args, env=env)
        if result.returncode != 0 or result.timed_out:
            raise self.failure(args[0], result)
        return result.stdout

    def text(self, args: Sequence[str]) -> str:
        return self.out(args).decode("utf-8", "surrogateescape").strip()

    def failure(self, command: str, result: Completed) -> DomainError:
        message = result.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in message:
            return WorkspaceMissing(f"{self.tree.path} is not a git work tree")
        if result.timed_out:
            return DomainError(f"git {command} took too long in {self.tree.path}")
        last = [line for line in message.splitlines() if not line.startswith("hint:")]
        why = last[-1].removeprefix("fatal: ").removeprefix("error: ") if last else "failed"
        return DomainError(f"git {command} failed in {self.tree.path}: {why}")


def _environment(where: Path, *envs: Mapping[str, str] | None) -> dict[str, str]:
    found = {
        "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C",
        "GIT_CEILING_DIRECTORIES": str(where.parent),
    }
    for env in envs:
        found |= dict(env or {})
    return found


def in_workspace(launcher: AccountLauncher, tree: WorkTree) -> Git:
    """git in the workspace, once it is one aiops may work in (WorkspaceMissing if none)."""
    if not folders.check(launcher, tree):
        raise WorkspaceMissing(f"{tree.path} is not a git work tree")
    return Git(launcher, tree)
