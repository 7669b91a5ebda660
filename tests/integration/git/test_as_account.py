"""The adapter as a workspace's own Linux account, through the launcher (as root runs it): the
clone is the account's alone, merge commits carry the account's git identity, and a transfer's
credentials live in a private folder of the account's only while the transfer runs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.model.workspaces import MergeKind, RemoteAccess, RemoteFailed, UnsafeWorkspace
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root

from .conftest import HTTP_TOKEN, NO_ACCESS, Git, make_remote, trusting

pytestmark = needs_root


@pytest.fixture
def scratch(place: Path) -> Path:
    """Where transfers make their private folders (a /tmp of the test's own)."""
    folder = place / "scratch"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


@pytest.fixture
def workspaces(place: Path, scratch: Path, tmp_path: Path) -> GitCliWorkspaces:
    return GitCliWorkspaces(
        launcher=launcher_as_root(place / "home"),
        known_hosts=tmp_path / "known_hosts",
        scratch=scratch,
    )


@pytest.fixture
def shared(place: Path, account: LinuxAccount) -> Path:
    """A remote the account may read (root's, trusted in the account's own git config)."""
    remote = make_remote(place / "remotes")
    trusting(account, remote)
    return remote


@pytest.fixture
def tree(place: Path, account: LinuxAccount) -> WorkTree:
    return WorkTree(place / "home" / account.name / "workspace" / "web", account)


def owners(path: Path) -> set[int]:
    found = {path.lstat().st_uid}
    for folder, dirs, files in os.walk(path):
        found |= {(Path(folder) / name).lstat().st_uid for name in (*dirs, *files)}
    return found


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_clone_made_as_the_account_is_the_accounts_alone(
    workspaces: GitCliWorkspaces, tree: WorkTree, shared: Path, account: LinuxAccount
) -> None:
    workspaces.clone(str(shared), tree, branch="main", access=NO_ACCESS)

    home = tree.path.parent.parent
    assert owners(home) == {account.uid}
    assert (mode(home), mode(tree.path.parent)) == (0o700, 0o700)
    assert Git(tree.path, account).porcelain() == ""
    assert workspaces.status(tree).clean
    assert workspaces.origin(tree) == str(shared)


def test_another_accounts_folder_is_refused_before_git_runs(
    workspaces: GitCliWorkspaces, tree: WorkTree, shared: Path
) -> None:
    """The same path, but aiops's own account asked to work there: not its folder."""
    workspaces.clone(str(shared), tree, branch="main", access=NO_ACCESS)

    with pytest.raises(UnsafeWorkspace, match="not to aiops's own account"):
        workspaces.status(WorkTree(tree.path))


@pytest.mark.parametrize(
    ("config", "identity"),
    [
        ({}, "aiops <aiops@localhost>|aiops"),
        ({"user_name": "Ivo", "user_email": "ivo@example.com"}, "Ivo <ivo@example.com>|Ivo"),
    ],
)
def test_a_merge_commit_carries_the_accounts_git_identity_else_aiops(
    workspaces: GitCliWorkspaces,
    tree: WorkTree,
    shared: Path,
    account: LinuxAccount,
    config: dict[str, str],
    identity: str,
) -> None:
    trusting(account, shared, **config)
    workspaces.clone(str(shared), tree, branch="main", access=NO_ACCESS)
    ws = Git(tree.path, account)
    ws("checkout", "-q", "-b", "topic")
    ws.commit({"topic.txt": "t\n"}, "Topic")
    ws("checkout", "-q", "main")
    ws.commit({"main.txt": "m\n"}, "Main")

    merged = workspaces.merge(tree, "topic")

    assert merged.kind is MergeKind.MERGE_COMMIT
    assert (
        ws("log", "-1", "--format=%an <%ae>|%cn|%s").strip() == f"{identity}|Merge branch 'topic'"
    )
    assert owners(tree.path) == {account.uid}


def test_a_token_reaches_git_as_the_account_and_nothing_of_it_stays(
    workspaces: GitCliWorkspaces,
    tree: WorkTree,
    http_remote: str,
    scratch: Path,
    account: LinuxAccount,
) -> None:
    access = RemoteAccess(url=http_remote, https_token=HTTP_TOKEN)

    workspaces.clone(http_remote, tree, branch="main", access=access)
    workspaces.fetch(tree, access)
    with pytest.raises(RemoteFailed, match="authentication failed"):
        workspaces.fetch(tree, RemoteAccess(url=http_remote, https_token="nope"))

    assert list(scratch.iterdir()) == []  # each transfer's folder went, the failed one too
    stored = b"".join(p.read_bytes() for p in (tree.path / ".git").rglob("*") if p.is_file())
    assert HTTP_TOKEN.encode() not in stored
    assert owners(tree.path) == {account.uid}
