"""Clone and fetch of the generated large repository over `git daemon`, as a throwaway
account through the launcher (in this process, and as a daemon on its socket): git's progress
arrives while it works, and a cancel stops git and leaves no folder behind."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces, folders
from aiops.adapters.git.transfer import discard_clone
from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.server import LauncherServer
from aiops.adapters.launcher.switch import AccountRules
from aiops.adapters.launching import AccountLauncher, SocketBackend
from aiops.adapters.system_accounts import uid_min
from aiops.container import launcher_programs
from aiops.domain.model.workspaces import (
    RemoteFailed,
    TransferCancelled,
    TransferPhase,
    TransferProgress,
)
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root, running_processes
from tests.large_repo import large

from .conftest import NO_ACCESS, Git

pytestmark = [needs_root, pytest.mark.slow, pytest.mark.xdist_group("large-repository")]


@pytest.fixture(scope="module")
def repository() -> Path:
    return Path(large.large_repo())


@pytest.fixture(scope="module")
def url(repository: Path) -> Iterator[str]:
    with large.git_daemon(repository) as served:
        yield served


@pytest.fixture(params=["in-process", "daemon"])
def launcher(request: pytest.FixtureRequest, place: Path) -> Iterator[AccountLauncher]:
    """The launcher as aiops runs it as root (in this process), or as a daemon on its socket
    (aiops as the service account): there, stopping git is closing the connection."""
    home = place / "home"
    if request.param == "in-process":
        yield launcher_as_root(home)
        return
    folder = Path(tempfile.mkdtemp(prefix="aiops-launcher-"))
    path = str(folder / "launcher.sock")
    executor = Executor(
        rules=AccountRules(minimum=uid_min(), deny=frozenset({"nobody"}), mapped=lambda _: True),
        programs=launcher_programs(),
        workspace_root=home,
    )
    server = LauncherServer(path, executor=executor, peer_uid=os.geteuid())
    stop = threading.Event()
    thread = threading.Thread(target=server.serve_until, args=(stop,))
    thread.start()
    try:
        yield AccountLauncher(
            backend=SocketBackend(path), programs=launcher_programs(), workspace_root=home
        )
    finally:
        stop.set()
        thread.join()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def workspaces(launcher: AccountLauncher, tmp_path: Path) -> GitCliWorkspaces:
    return GitCliWorkspaces(launcher=launcher, known_hosts=tmp_path / "known_hosts")


@pytest.fixture
def tree(place: Path, account: LinuxAccount) -> WorkTree:
    return WorkTree(place / "home" / account.name / "workspace" / "big", account)


def _monotone(steps: list[TransferProgress]) -> None:
    for before, after in itertools.pairwise(steps):
        if (before.phase, before.objects_total) == (after.phase, after.objects_total):
            assert after.percent >= before.percent, (before, after)


def test_a_clone_reports_its_phases_as_git_works_each_ending_at_100(
    workspaces: GitCliWorkspaces, url: str, tree: WorkTree
) -> None:
    steps: list[TransferProgress] = []
    arrived: list[bool] = []

    def sink(step: TransferProgress) -> None:
        steps.append(step)
        arrived.append(tree.path.exists())  # while git works, not all at its end

    workspaces.clone(url, tree, branch="main", access=NO_ACCESS, progress=sink)

    phases = list(dict.fromkeys(step.phase for step in steps))
    # git shows a phase only once it has taken a while: the checkout ("Updating files") of a
    # quick machine may not show at all.
    ordered = [TransferPhase.RECEIVING, TransferPhase.RESOLVING, TransferPhase.UPDATING]
    assert phases[phases.index(TransferPhase.RECEIVING) :] in (ordered, ordered[:2])
    _monotone(steps)
    for phase in phases[phases.index(TransferPhase.RECEIVING) :]:
        last = [step for step in steps if step.phase is phase][-1]
        assert last.percent == 100
        assert last.objects_done == last.objects_total > 0
    receiving = [step for step in steps if step.phase is TransferPhase.RECEIVING]
    assert len({step.percent for step in receiving}) > 5  # a live bar, not one final line
    assert receiving[-1].bytes_received is not None
    assert receiving[-1].bytes_received > 1_000_000
    assert steps[-1].bytes_received == receiving[-1].bytes_received
    assert any(arrived)
    assert workspaces.status(tree).branch == "main"
    assert Git(tree.path, tree.account)("ls-files").count("\n") == 5_001


def test_a_clone_cancelled_while_receiving_stops_git_and_leaves_no_folder(
    workspaces: GitCliWorkspaces, url: str, tree: WorkTree, account: LinuxAccount
) -> None:
    asked: list[TransferProgress] = []

    class Cancel:
        def cancelled(self) -> bool:
            return bool(asked)

    def sink(step: TransferProgress) -> None:
        if step.phase is TransferPhase.RECEIVING and not asked:
            asked.append(step)

    with pytest.raises(TransferCancelled, match="nothing was left behind"):
        workspaces.clone(url, tree, branch="main", access=NO_ACCESS, progress=sink, cancel=Cancel())

    assert asked[0].percent < 100
    assert not tree.path.exists()
    assert not tree.path.is_symlink()
    assert tree.path.parent.is_dir()  # the account's workspace folder stays, empty
    assert list(tree.path.parent.iterdir()) == []
    deadline = time.monotonic() + 10
    while running_processes(account.name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running_processes(account.name)  # git and its children are gone
    # And the workspace can be initialized again.
    workspaces.clone(url, tree, branch="main", access=NO_ACCESS)
    assert workspaces.status(tree).branch == "main"


def test_a_fetch_reports_progress_and_a_cancelled_one_moves_nothing(
    workspaces: GitCliWorkspaces, repository: Path, tree: WorkTree, place: Path
) -> None:
    """The workspace is cloned when main was 30,000 commits younger, without tags or other
    branches: the fetch then brings most of the repository (a tiny fetch reports nothing:
    git shows progress only for what takes a while)."""
    served = large.overlay(repository, place / "served" / "repo.git")
    for path in (place / "served", served):
        path.chmod(0o755)
    old = Git(repository).sha("main~30000")
    (served / "packed-refs").write_text(f"{old} refs/heads/main\n")
    with large.git_daemon(served) as url:
        workspaces.clone(url, tree, branch="main", access=NO_ACCESS)
        shutil.copyfile(repository / "packed-refs", served / "packed-refs")
        asked: list[TransferProgress] = []

        class Cancel:
            def cancelled(self) -> bool:
                return bool(asked)

        def cancelling(step: TransferProgress) -> None:
            if step.phase is TransferPhase.RECEIVING and not asked:
                asked.append(step)

        with pytest.raises(TransferCancelled, match="the workspace is as it was"):
            workspaces.fetch(tree, NO_ACCESS, progress=cancelling, cancel=Cancel())
        assert Git(tree.path, tree.account).sha("origin/main") == old

        steps: list[TransferProgress] = []
        workspaces.fetch(tree, NO_ACCESS, progress=steps.append)

    assert Git(tree.path, tree.account).sha("origin/main") == Git(repository).sha("main")
    receiving = [step for step in steps if step.phase is TransferPhase.RECEIVING]
    assert len({step.percent for step in receiving}) > 5
    assert receiving[-1].percent == 100
    assert receiving[-1].objects_done == receiving[-1].objects_total > 10_000
    assert [step.phase for step in steps][-1] is TransferPhase.RESOLVING
    _monotone(steps)


def test_a_failed_clone_says_why_without_progress_lines(
    workspaces: GitCliWorkspaces, url: str, tree: WorkTree
) -> None:
    missing = url.rsplit("/", 1)[0] + "/nothing-here.git"

    with pytest.raises(RemoteFailed) as failed:
        workspaces.clone(missing, tree, branch="main", access=NO_ACCESS, progress=lambda _: None)

    assert "objects:" not in failed.value.message
    assert "the repository does not exist" in failed.value.message or "nothing-here" in str(
        failed.value.message
    )
    assert not tree.path.exists()


def test_removing_a_stopped_clone_never_follows_a_link_or_touches_another_folder(
    launcher: AccountLauncher, place: Path, tree: WorkTree, account: LinuxAccount
) -> None:
    """What the removal after a stop finds at the clone's path may have been replaced by the
    account (a link to a folder it wants gone, or someone else's folder): it removes only a
    real folder of the account's."""
    elsewhere = place / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep\n")
    os.chown(elsewhere, account.uid, account.gid)
    folders.prepare(launcher, tree)
    tree.path.symlink_to(elsewhere)
    os.lchown(tree.path, account.uid, account.gid)

    discard_clone(launcher, tree)

    assert tree.path.is_symlink()
    assert (elsewhere / "keep.txt").read_text() == "keep\n"
    tree.path.unlink()
    tree.path.mkdir()  # root's, not the account's
    (tree.path / "root.txt").write_text("root\n")

    discard_clone(launcher, tree)

    assert (tree.path / "root.txt").exists()
    shutil.rmtree(tree.path)
    (tree.path / ".git").mkdir(parents=True)  # the account's own half clone
    for path in (tree.path, tree.path / ".git"):
        os.chown(path, account.uid, account.gid)

    discard_clone(launcher, tree)

    assert not tree.path.exists()
