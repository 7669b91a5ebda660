"""GitCliWorktrees: the GitWorktrees port with `git worktree`, as the workspace's account
through the launcher (ADR 0009), like every other git process of aiops.

The worktree's folders, `<root>/<name>/worktrees` and `<root>/<name>/worktrees/<project>`, are
made one at a time by the account (0700), each checked without following a link; the
worktree itself is then checked like a workspace (folders.check) before git runs there.
In a partial clone, `git worktree add` fetches the blobs of the new tree from origin, with
the project's credentials (origin.lazy_blobs).
"""

from __future__ import annotations

from aiops.adapters.git import folders
from aiops.adapters.git.command import Git, in_workspace
from aiops.adapters.git.credentials import Credentials
from aiops.adapters.git.exclude import add_exclude
from aiops.adapters.git.origin import lazy_blobs
from aiops.adapters.launching import AccountLauncher, ActFailed
from aiops.domain.errors import Conflict
from aiops.domain.model import validation
from aiops.domain.model.workspaces import (
    BranchExists,
    BranchMissing,
    RemoteAccess,
    UnsafeWorkspace,
)
from aiops.domain.model.worktrees import Losses, WorktreeExists
from aiops.ports.git_workspaces import WorkTree

HEADS = "refs/heads/"
SHOWN_COMMITS = 100  # "N unpushed commits" counts at most this many


class GitCliWorktrees:
    def __init__(
        self, *, launcher: AccountLauncher, credentials: Credentials | None = None
    ) -> None:
        self._launcher = launcher
        self._credentials = credentials  # None: no credentials for lazy fetches

    def add(
        self,
        main: WorkTree,
        tree: WorkTree,
        *,
        branch: str,
        start: str | None,
        default: str | None = None,
        access: RemoteAccess | None = None,
    ) -> None:
        validation.branch(branch)
        git = in_workspace(self._launcher, main)
        self._prepare(main, tree)
        if folders.check(self._launcher, tree):
            raise WorktreeExists(f"{tree.path} already exists")
        exists = git.run(["show-ref", "--verify", "-q", HEADS + branch]).returncode == 0
        if exists and start is not None:
            raise BranchExists(f"branch {branch!r} already exists: add it without a start")
        if exists:
            args = ["worktree", "add", "-q", str(tree.path), branch]
        else:
            sha = _commit(git, start or _default(git, default))
            args = ["worktree", "add", "-q", "--no-track", "-b", branch, str(tree.path), sha]
        with lazy_blobs(git, self._credentials, access) as fetching:
            done = fetching.run(args)
        if done.returncode != 0:
            if not exists:  # git keeps a branch it made for a checkout that then failed
                git.run(["worktree", "prune"])
                git.run(["branch", "-D", branch])
            message = done.stderr.decode("utf-8", "replace")
            if "already checked out" in message or "already used by worktree" in message:
                raise Conflict(f"branch {branch!r} is checked out in another work tree already")
            raise git.failure("worktree add", done)

    def losses(self, tree: WorkTree) -> Losses:
        if not folders.check(self._launcher, tree):
            return Losses()
        git = Git(self._launcher, tree)
        status = git.out(["--no-optional-locks", "status", "--porcelain=v1", "-z"])
        log = git.run(
            ["log", f"--max-count={SHOWN_COMMITS}", "--format=%h %s", "HEAD", "--not", "--remotes"]
        )
        commits = log.stdout.decode("utf-8", "replace").splitlines() if log.returncode == 0 else []
        return Losses(files=_changed(status), commits=tuple(commits))

    def commits_ahead(self, tree: WorkTree, base: str) -> tuple[str, ...]:
        """`git log base..HEAD` as "<sha> <subject>", newest first; BranchMissing when `base`
        names no commit."""
        validation.branch(base, field="base")
        git = in_workspace(self._launcher, tree)
        sha = _commit(git, base)
        log = git.out(["log", "-z", "--no-color", "--format=%H %s", f"{sha}..HEAD", "--"])
        entries = log.decode("utf-8", "replace").split("\0")
        return tuple(entry for entry in entries if entry)

    def exclude(self, main: WorkTree, pattern: str) -> None:
        add_exclude(self._launcher, main, pattern)

    def remove(self, main: WorkTree, tree: WorkTree, *, force: bool) -> None:
        git = in_workspace(self._launcher, main)
        if folders.check(self._launcher, tree):
            args = ["worktree", "remove", *(["--force"] if force else []), str(tree.path)]
            done = git.run(args)
            if done.returncode != 0:
                raise git.failure("worktree remove", done)
        git.out(["worktree", "prune"])

    def _prepare(self, main: WorkTree, tree: WorkTree) -> None:
        """`<root>/<name>/worktrees/<project>`, one level at a time, private to the account."""
        home = main.path.parent.parent
        project = tree.path.parent
        if project.parent.parent != home or project.parent.name != "worktrees":
            raise UnsafeWorkspace(f"{tree.path} is not in {home / 'worktrees'}")
        try:
            for folder in (project.parent, project):
                self._launcher.make_dir(tree.account, str(folder), mode=0o700)
        except ActFailed as failed:
            raise UnsafeWorkspace(
                f"cannot make {project} private to {folders.who(tree)}: {failed.message}"
            ) from None


def _default(git: Git, default: str | None) -> str:
    """Where a new branch starts when not told: `default` when it names a commit, else HEAD."""
    if default is None:
        return "HEAD"
    found = git.run(["rev-parse", "--verify", "-q", "--end-of-options", f"{default}^{{commit}}"])
    return default if found.returncode == 0 else "HEAD"


def _commit(git: Git, start: str) -> str:
    found = git.run(["rev-parse", "--verify", "-q", "--end-of-options", f"{start}^{{commit}}"])
    if found.returncode != 0:
        raise BranchMissing(f"no branch or commit {start!r} here (fetch first, or give another)")
    return found.stdout.decode().strip()


def _changed(status: bytes) -> tuple[str, ...]:
    """The paths of `git status --porcelain=v1 -z` (a rename's source skipped)."""
    files: list[str] = []
    entries = iter(status.split(b"\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        files.append(entry[3:].decode("utf-8", "surrogateescape"))
        if entry[:1] in (b"R", b"C"):
            next(entries, None)
    return tuple(sorted(files))
