"""Nothing a user writes into their repository runs with aiops's rights: git runs as the
workspace's account, which could run those commands anyway, and never runs hooks for aiops."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.model.workspaces import MergeKind
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root

from .conftest import NO_ACCESS, Git, git_clone, make_remote, trusting

pytestmark = needs_root
HOOKS = (
    "pre-commit",
    "commit-msg",
    "post-commit",
    "post-checkout",
    "post-merge",
    "pre-merge-commit",
)


def booby_trap(ws: Git, markers: Path) -> None:
    """Every way a repository names a command; each records the uid it ran as."""

    def record(kind: str, passthrough: bool = False) -> str:
        return f"sh -c 'id -u >> {markers}/{kind}{'; cat' if passthrough else ''}'"

    ws("config", "filter.trap.clean", record("clean", passthrough=True))
    ws("config", "filter.trap.smudge", record("smudge", passthrough=True))
    ws("config", "merge.trap.driver", record("merge-driver"))
    ws("config", "core.fsmonitor", record("fsmonitor"))
    (ws.path / ".git" / "info").mkdir(exist_ok=True)
    (ws.path / ".git" / "info" / "attributes").write_text("* filter=trap merge=trap\n")
    for hook in HOOKS:
        script = ws.path / ".git" / "hooks" / hook
        script.parent.mkdir(exist_ok=True)
        script.write_text(f"#!/bin/sh\nid -u >> {markers}/{hook}\n")
        script.chmod(0o755)


def uids(markers: Path) -> dict[str, set[str]]:
    return {path.name: set(path.read_text().split()) for path in markers.iterdir()}


def test_no_repository_command_runs_as_anyone_but_the_account(
    place: Path, tmp_path: Path, account: LinuxAccount
) -> None:
    remote = make_remote(place / "remotes")
    trusting(account, remote)
    workspaces = GitCliWorkspaces(
        launcher=launcher_as_root(place / "home"), known_hosts=tmp_path / "known_hosts"
    )
    tree = WorkTree(place / "home" / account.name / "workspace" / "web", account)
    workspaces.clone(str(remote), tree, branch="main", access=NO_ACCESS)
    ws = Git(tree.path, account)
    ws.commit({"local.txt": "mine\n"}, "Local work")  # before the trap: git runs hooks
    other = git_clone(remote, place / "other")
    other.commit({"other.txt": "theirs\n"}, "Their work")
    other("push", "-q", "origin", "main")
    markers = place / "markers"
    markers.mkdir(mode=0o777)
    markers.chmod(0o777)
    booby_trap(ws, markers)
    (tree.path / "local.txt").touch()  # a changed stat makes git run the clean filter

    status = workspaces.status(tree)
    workspaces.checkout(tree, "feature")
    workspaces.checkout(tree, "main")
    merged = workspaces.merge(tree, "feature")
    pulled = workspaces.pull(tree, NO_ACCESS)

    assert status.clean
    assert (merged.kind, pulled.kind) == (MergeKind.MERGE_COMMIT, MergeKind.MERGE_COMMIT)
    ran = uids(markers)
    assert ran.get("clean") == {str(account.uid)}  # the trap is armed: git ran it
    assert all(who == {str(account.uid)} for who in ran.values()), ran
    assert not set(ran) & {*HOOKS, "fsmonitor"}, ran  # hooks never run for aiops
    assert (tree.path / "other.txt").read_text() == "theirs\n"
    assert tree.path.stat().st_uid == account.uid


@pytest.mark.parametrize("operation", ["status", "merge"])
def test_hooks_and_fsmonitor_never_run_even_in_aiops_own_tree(
    workspaces: GitCliWorkspaces, alice: Git, tmp_path: Path, operation: str
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    booby_trap(alice, markers)
    alice("config", "--unset", "filter.trap.clean")
    alice("config", "--unset", "filter.trap.smudge")
    (alice.path / ".git" / "info" / "attributes").write_text("")

    if operation == "status":
        workspaces.status(WorkTree(alice.path))
    else:
        workspaces.merge(WorkTree(alice.path), "origin/feature")

    assert not markers.exists() or list(markers.iterdir()) == []
