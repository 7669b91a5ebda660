"""Bringing another commit into HEAD: up to date, fast-forward, or a merge commit, with git as
the account.

A merge is computed in memory first (`git merge-tree --write-tree`, git 2.38+): a conflict
raises MergeConflict before the work tree, index or refs change. Then `git merge` itself
refuses to overwrite uncommitted or untracked work (DirtyWorkTree, naming the files) before it
writes anything. Merge commits carry the account's own git identity, else aiops's.
"""

from __future__ import annotations

from aiops.adapters.git.command import Git
from aiops.adapters.git.status import parse_porcelain_v2
from aiops.adapters.git.worktree import conflicts_of, in_the_way, merge_tree_conflicts
from aiops.domain.model.workspaces import DirtyWorkTree, MergeConflict, MergeKind, MergeOutcome

FALLBACK_NAME, FALLBACK_EMAIL = "aiops", "aiops@localhost"
_MERGE = ("merge", "--no-autostash", "--no-log", "--no-edit")


def head(git: Git) -> str | None:
    """HEAD's commit; None on an unborn branch."""
    result = git.run(["rev-parse", "-q", "--verify", "HEAD^{commit}"])
    return result.stdout.decode().strip() if result.returncode == 0 else None


def integrate(git: Git, theirs: str, *, source: str, message: str, operation: str) -> MergeOutcome:
    """Merge `theirs` (a commit id) into HEAD, or refuse leaving everything as it was."""
    ours = head(git)
    if ours is None:  # an unborn branch simply takes their history
        _merge(git, ["--ff-only", theirs], source=source, operation=operation)
        return MergeOutcome(kind=MergeKind.FAST_FORWARD, head=theirs)
    base = git.run(["merge-base", ours, theirs]).stdout.decode().strip()
    if base == theirs:
        return MergeOutcome(kind=MergeKind.UP_TO_DATE, head=ours)
    if base == ours:
        _merge(git, ["--ff-only", theirs], source=source, operation=operation)
        return MergeOutcome(kind=MergeKind.FAST_FORWARD, head=theirs)
    planned = git.run(
        ["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", ours, theirs]
    )
    if planned.returncode == 1:
        raise MergeConflict(source, merge_tree_conflicts(planned.stdout))
    if planned.returncode != 0:
        raise git.failure("merge-tree", planned)
    args = ["--no-ff", "-m", message, theirs]
    _merge(git, args, source=source, operation=operation, env=_identity(git))
    merged = head(git)
    assert merged is not None
    return MergeOutcome(kind=MergeKind.MERGE_COMMIT, head=merged)


def _merge(
    git: Git,
    args: list[str],
    *,
    source: str,
    operation: str,
    env: dict[str, str] | None = None,
) -> None:
    result = git.run([*_MERGE, *args], env=env)
    if result.returncode == 0:
        return
    files = in_the_way(result.stderr)
    if files is not None:
        raise DirtyWorkTree(operation, files or _conflicted(git))
    if b"CONFLICT" in result.stdout:  # merge-tree saw none, yet the merge stopped on some
        git.run(["merge", "--abort"])
        raise MergeConflict(source, conflicts_of(result.stdout))
    raise git.failure("merge", result)


def _conflicted(git: Git) -> tuple[str, ...]:
    return parse_porcelain_v2(git.out(["status", "--porcelain=v2", "-z"])).conflicted


def _identity(git: Git) -> dict[str, str]:
    """The account's user.name and user.email as git finds them (repository, then the
    account's own config); aiops's identity when either is missing."""
    listed = git.run(["config", "-z", "--get-regexp", r"^user\.(name|email)$"])
    found = {}
    for entry in listed.stdout.decode("utf-8", "surrogateescape").split("\0"):
        key, _, value = entry.partition("\n")
        if value:
            found[key] = value
    if {"user.name", "user.email"} <= found.keys():
        return {}
    names = {f"GIT_{role}_NAME": FALLBACK_NAME for role in ("AUTHOR", "COMMITTER")}
    return names | {f"GIT_{role}_EMAIL": FALLBACK_EMAIL for role in ("AUTHOR", "COMMITTER")}
