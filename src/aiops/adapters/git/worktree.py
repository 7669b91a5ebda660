"""Moving a work tree from one tree to another without losing anyone's uncommitted work.

Which local changes are in the way is decided by a pure function over paths (git's own rule:
a change blocks only when the switch touches that path, its folder or its children); the
local changes themselves come from `git status`, the writes from dulwich.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from dulwich.diff_tree import tree_changes
from dulwich.errors import WorkingTreeModifiedError
from dulwich.index import update_working_tree
from dulwich.objects import ObjectID
from dulwich.repo import Repo

from aiops.adapters.git.status import PorcelainStatus, parse_porcelain_v2, run_status
from aiops.domain.model.workspaces import DirtyWorkTree


def _ancestors(path: str) -> Iterable[str]:
    parts = path.rstrip("/").split("/")
    return ("/".join(parts[:i]) for i in range(1, len(parts)))


def blocking(local: PorcelainStatus, touched: Iterable[str]) -> list[str]:
    """The local changes an update of the `touched` paths would overwrite (sorted).

    Unresolved conflicts always block; a modified, staged or untracked path blocks when the
    update writes or removes that path, one of its folders, or something inside it.
    """
    touched = set(touched)
    folders = {folder for path in touched for folder in _ancestors(path)}

    def in_the_way(path: str) -> bool:
        bare = path.rstrip("/")  # an untracked folder is listed as "dir/"
        return (
            bare in touched
            or bare in folders
            or any(folder in touched for folder in _ancestors(bare))
            or (path.endswith("/") and any(t.startswith(path) for t in touched))
        )

    dirty = [p for p in local.changed | local.untracked_paths if in_the_way(p)]
    return sorted({*local.conflicted, *dirty})


def local_changes(git: str, env: Mapping[str, str], path: Path) -> PorcelainStatus:
    """Every uncommitted change, untracked files listed one by one."""
    return parse_porcelain_v2(run_status(git, env, path, untracked="all"))


def touched_paths(repo: Repo, old_tree: ObjectID | None, new_tree: ObjectID) -> list[str]:
    paths: set[bytes] = set()
    for change in tree_changes(repo.object_store, old_tree, new_tree):
        for entry in (change.old, change.new):
            if entry is not None and entry.path is not None:
                paths.add(entry.path)
    return [p.decode("utf-8", "surrogateescape") for p in paths]


def switch_tree(
    repo: Repo,
    old_tree: ObjectID | None,
    new_tree: ObjectID,
    *,
    local: PorcelainStatus,
    operation: str,
) -> None:
    """Refuse if local changes are in the way, else update the work tree and index.

    Local changes elsewhere are kept, as git does.
    """
    in_the_way = blocking(local, touched_paths(repo, old_tree, new_tree))
    if in_the_way:
        raise DirtyWorkTree(operation, in_the_way)
    if old_tree == new_tree:
        return
    config = repo.get_config_stack()
    try:
        update_working_tree(
            repo,
            old_tree,
            new_tree,
            change_iterator=tree_changes(repo.object_store, old_tree, new_tree),
            blob_normalizer=repo.get_blob_normalizer(config=config, tree=new_tree),
            config=config,
        )
    except WorkingTreeModifiedError as error:  # a file changed since we looked
        raise DirtyWorkTree(operation, [str(error)]) from error
