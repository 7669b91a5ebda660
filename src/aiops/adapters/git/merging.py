"""Bringing another commit into HEAD: up to date, fast-forward, or a merge commit.

The merge is computed in memory (dulwich's recursive three-way tree merge) before anything
on disk changes, so a conflict leaves the work tree, index and refs exactly as they were.
"""

from __future__ import annotations

import time

from dulwich.config import ConfigDict
from dulwich.graph import can_fast_forward, find_merge_base
from dulwich.merge import Merger, recursive_merge
from dulwich.objects import Commit, ObjectID
from dulwich.refs import HEADREF
from dulwich.repo import Repo

from aiops.adapters.git import repo as repos
from aiops.adapters.git.status import PorcelainStatus
from aiops.adapters.git.worktree import switch_tree
from aiops.domain.errors import DomainError
from aiops.domain.model.workspaces import MergeConflict, MergeKind, MergeOutcome


def integrate(
    repo: Repo,
    theirs: ObjectID,
    *,
    source: str,
    message: str,
    local: PorcelainStatus,
    operation: str,
) -> MergeOutcome:
    """Merge `theirs` into HEAD; MergeConflict or DirtyWorkTree leave everything untouched."""
    ours = repos.head_commit(repo)
    target = repos.commit(repo, theirs)
    if ours is None:  # an unborn branch simply takes their history
        switch_tree(repo, None, target.tree, local=local, operation=operation)
        repo.refs[HEADREF] = theirs
        return MergeOutcome(kind=MergeKind.FAST_FORWARD, head=theirs.decode())
    if ours.id == theirs or can_fast_forward(repo, theirs, ours.id):
        return MergeOutcome(kind=MergeKind.UP_TO_DATE, head=ours.id.decode())
    if can_fast_forward(repo, ours.id, theirs):
        switch_tree(repo, ours.tree, target.tree, local=local, operation=operation)
        _move_head(repo, ours.id, theirs)
        return MergeOutcome(kind=MergeKind.FAST_FORWARD, head=theirs.decode())
    merged_tree = _merged_tree(repo, ours, target, source)
    switch_tree(repo, ours.tree, merged_tree, local=local, operation=operation)
    merge_commit = _merge_commit(repo, merged_tree, (ours.id, theirs), message)
    _move_head(repo, ours.id, merge_commit)
    return MergeOutcome(kind=MergeKind.MERGE_COMMIT, head=merge_commit.decode())


def _merged_tree(repo: Repo, ours: Commit, theirs: Commit, source: str) -> ObjectID:
    bases = find_merge_base(repo, [ours.id, theirs.id])
    # No config: a merge driver named there is a command, and the config is the user's.
    merger = Merger(repo.object_store, repo.get_gitattributes(), ConfigDict())
    tree, conflicts = recursive_merge(repo.object_store, bases, ours, theirs, merger=merger)
    if conflicts:
        raise MergeConflict(source, (p.decode("utf-8", "surrogateescape") for p in conflicts))
    repo.object_store.add_object(tree)
    return tree.id


def _merge_commit(
    repo: Repo, tree: ObjectID, parents: tuple[ObjectID, ObjectID], message: str
) -> ObjectID:
    commit = Commit()
    commit.tree = tree
    commit.parents = list(parents)
    commit.author = commit.committer = repos.identity(repo)
    commit.author_time = commit.commit_time = int(time.time())
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = f"{message}\n".encode()
    repo.object_store.add_object(commit)
    return commit.id


def _move_head(repo: Repo, old: ObjectID, new: ObjectID) -> None:
    """Point HEAD's branch (or a detached HEAD) at `new`, if nobody moved it meanwhile."""
    if not repo.refs.set_if_equals(HEADREF, old, new, message=b"aiops: merge"):
        raise DomainError("the branch moved during the merge: try again")
