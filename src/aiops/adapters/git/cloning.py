"""A new clone, all or nothing: on any failure the folders it created are removed again."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dulwich.client import GitClient
from dulwich.refs import HEADREF, LOCAL_BRANCH_PREFIX, Ref
from dulwich.repo import Repo

from aiops.adapters.git import repo as repos
from aiops.adapters.git.transfer import fetch_origin
from aiops.domain.model.workspaces import WorkspaceExists


@contextmanager
def fresh_folder(path: Path) -> Iterator[None]:
    """Create `path` (and missing parents); remove whatever was created if the block fails."""
    if path.exists() or path.is_symlink():
        raise WorkspaceExists(f"{path} already exists")
    created = path
    while not created.parent.exists():
        created = created.parent
    path.mkdir(parents=True)
    try:
        yield
    except BaseException:
        shutil.rmtree(created, ignore_errors=True)
        raise


def clone_into(path: Path, url: str, client: GitClient, remote_path: str, *, branch: str) -> None:
    """Initialise `path`, fetch origin, check out `branch` (or origin's HEAD) with tracking."""
    with repos.harden(Repo.init(str(path))) as repo:
        config = repo.get_config()
        section = (b"remote", repos.ORIGIN.encode())
        config.set(section, b"url", url.encode())
        config.set(section, b"fetch", b"+refs/heads/*:" + repos.REMOTE_PREFIX + b"*")
        config.write_to_path()
        result = fetch_origin(repo, client, remote_path)
        wanted = Ref(LOCAL_BRANCH_PREFIX + branch.encode())
        if wanted not in result.refs:
            wanted = result.symrefs.get(HEADREF, wanted)  # the remote's default branch
        name = wanted[len(LOCAL_BRANCH_PREFIX) :].decode()
        repo.refs.set_symbolic_ref(HEADREF, repos.branch_ref(name))
        sha = result.refs.get(wanted)
        if sha is None:  # an empty remote: stay on an unborn branch
            return
        repo.refs[repos.branch_ref(name)] = sha
        repos.set_upstream(repo, name, name)
        repo.get_worktree().reset_index(config=repo.get_config_stack())
