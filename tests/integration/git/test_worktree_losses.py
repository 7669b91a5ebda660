"""Work is never lost, worktrees included: whatever a user does in a worktree (commits, edits,
new files, pushes, in any order), a removal that aiops lets through without --force (nothing
to lose, as GitWorktrees.losses reads it with the real git CLI) leaves every commit on a
remote-tracking branch and no uncommitted change behind; a refusal names every commit it
protects. Hypothesis drives random sequences against real repositories."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.git.worktrees import GitCliWorktrees
from aiops.domain.model.worktrees import Losses
from aiops.ports.git_workspaces import WorkTree
from tests.accounts import launcher_as_root

from .conftest import NO_ACCESS, Git, make_remote

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("commit"), st.sampled_from(["a.txt", "b.txt", "README.md"])),
        st.tuples(st.just("edit"), st.sampled_from(["README.md", "src/app.py"])),
        st.tuples(st.just("new"), st.sampled_from(["notes.txt", "tmp/x.txt"])),
        st.tuples(st.just("commit-all"), st.just("")),
        st.tuples(st.just("push"), st.just("")),
    ),
    max_size=6,
)


def act(tree: Git, action: tuple[str, str], step: int) -> None:
    kind, name = action
    path = tree.path / name
    if kind in ("edit", "new", "commit"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"step {step}\n")
    if kind == "commit":
        tree("add", "--", name)
        tree("commit", "-q", "-m", f"step {step}")
    elif kind == "commit-all":
        tree("add", "-A")
        tree("commit", "-q", "--allow-empty", "-m", f"step {step}")
    elif kind == "push":
        tree("push", "-q", "origin", "HEAD:refs/heads/task")


def on_a_remote_branch(main: Git, sha: str) -> bool:
    return bool(main("branch", "-r", "--contains", sha).strip())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS)
def test_a_removal_without_force_never_loses_work(actions: list[tuple[str, str]]) -> None:
    place = Path(tempfile.mkdtemp(prefix="aiops-wt-losses-"))
    try:
        home = place / "home"
        launcher = launcher_as_root(home)
        remote = make_remote(place / "remotes")
        main_tree = WorkTree(home / "ivo" / "workspace" / "web")
        tree = WorkTree(home / "ivo" / "worktrees" / "web" / "task")
        GitCliWorkspaces(launcher=launcher, known_hosts=place / "kh").clone(
            str(remote), main_tree, branch="main", access=NO_ACCESS
        )
        worktrees = GitCliWorktrees(launcher=launcher)
        worktrees.add(main_tree, tree, branch="task", start="origin/main")
        main, work = Git(main_tree.path), Git(tree.path)
        work("config", "user.email", "ivo@example.com")
        work("config", "user.name", "Ivo")
        made = []
        for step, action in enumerate(actions):
            act(work, action, step)
            made.append(work.sha("HEAD"))

        losses = worktrees.losses(tree)
        dirty = work.porcelain() != ""
        unpushed = [sha for sha in made if not on_a_remote_branch(main, sha)]

        assert bool(losses.files) == dirty
        assert len(losses.commits) == len(set(unpushed))
        if losses == Losses():  # what aiops's RemoveWorktree lets through without --force
            worktrees.remove(main_tree, tree, force=False)
            assert not tree.path.exists()
            assert all(on_a_remote_branch(main, sha) for sha in made)
        else:  # refused: the message names each commit that would be lost
            shown = [line.split(" ", 1)[0] for line in losses.commits]
            assert all(any(sha.startswith(s) for s in shown) for sha in unpushed)
    finally:
        shutil.rmtree(place, ignore_errors=True)
