"""Nothing a user writes into their repository runs as root inside aiops: git's status runs
as the tree's owner, and dulwich ignores hooks, filter drivers and merge drivers entirely."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiops.adapters.git import DulwichGitWorkspaces
from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.domain.model.workspaces import MergeKind

from .conftest import NO_ACCESS, Git

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="switching to the owner needs root")
# nobody is on aiops's default deny list; this test only needs an account that is not root.
NOBODY = PosixLinuxUsers(deny=()).lookup("nobody")


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A folder every account may write to (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-trap-"))
    folder.chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


def booby_trap(ws: Git, markers: Path) -> None:
    """Every way a repository names a command; each records the uid it ran as."""

    def record(kind: str, passthrough: bool = False) -> str:
        return f"sh -c 'id -u >> {markers}/{kind}{'; cat' if passthrough else ''}'"

    ws("config", "filter.trap.clean", record("clean", passthrough=True))
    ws("config", "filter.trap.smudge", record("smudge", passthrough=True))
    ws("config", "merge.trap.driver", record("merge-driver"))
    (ws.path / ".git" / "info").mkdir(exist_ok=True)
    (ws.path / ".git" / "info" / "attributes").write_text("* filter=trap merge=trap\n")
    for hook in ("pre-commit", "commit-msg", "post-commit", "post-checkout", "post-merge"):
        script = ws.path / ".git" / "hooks" / hook
        script.parent.mkdir(exist_ok=True)
        script.write_text(f"#!/bin/sh\nid -u >> {markers}/{hook}\n")
        script.chmod(0o755)


def uids(markers: Path) -> dict[str, set[str]]:
    return {path.name: set(path.read_text().split()) for path in markers.iterdir()}


def test_no_repository_command_runs_as_root(
    workspaces: DulwichGitWorkspaces, remote: Path, alice: Git, shared: Path
) -> None:
    assert NOBODY is not None
    path = shared / "home" / "nobody" / "workspace" / "web"
    workspaces.clone(str(remote), path, branch="main", access=NO_ACCESS)
    ws = Git(path)
    ws.commit({"local.txt": "mine\n"}, "Local work")  # before the trap: git runs hooks
    alice.commit({"alice.txt": "hers\n"}, "Alice's work")
    alice("push", "-q", "origin", "main")
    markers = shared / "markers"
    markers.mkdir(mode=0o777)
    markers.chmod(0o777)
    booby_trap(ws, markers)
    (path / "local.txt").touch()  # a changed stat makes git run the clean filter
    PosixLinuxUsers().hand_over(shared / "home", NOBODY)

    status = workspaces.status(path)
    workspaces.checkout(path, "feature")
    workspaces.checkout(path, "main")
    merged = workspaces.merge(path, "feature")
    pulled = workspaces.pull(path, NO_ACCESS)

    assert status.clean
    assert (merged.kind, pulled.kind) == (MergeKind.MERGE_COMMIT, MergeKind.MERGE_COMMIT)
    ran = uids(markers)
    assert ran.get("clean") == {str(NOBODY.uid)}  # the trap is armed: git ran it as nobody
    assert all("0" not in who for who in ran.values()), ran
    assert set(ran) == {"clean"}  # dulwich ran nothing at all
    assert (path / "alice.txt").read_text() == "hers\n"
    assert pwd.getpwuid(path.stat().st_uid).pw_name == "nobody"
