"""Workspace status on a 5,000-file tree: the adapter beside `git status --porcelain`.

A bare remote, a clone with 5,000 committed files (pushed), then 10 files modified and 10
untracked. Medians of N runs:
1. `git status --porcelain` in a fresh process (the baseline);
2. GitCliWorkspaces.status() in a warm process (after one warm-up call), target <= 2x;
3. GitCliWorkspaces.status() in a fresh `python -c` process, target <= 6x;
4. as root: GitCliWorkspaces.status() of the same tree as a throwaway Linux account's, through
   the launcher (a child that becomes the account runs git), warm process, target <= 2x.
Rows 2 and 3 run git as aiops's own account (a user without a Linux account of their own).

    .venv/bin/python bench/git_status.py [--quick] [--output FILE]

Prints a Markdown table and writes bench/results/git_status.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.launcher.executor import Executor
from aiops.adapters.launcher.switch import AccountRules
from aiops.adapters.launching import AccountLauncher, InProcessBackend
from aiops.adapters.system_accounts import uid_min
from aiops.container import launcher_programs
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from sessions import bench_account

RESULTS = Path(__file__).parent / "results" / "git_status.json"
FILES = 5_000
GIT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    # No background `gc --auto` packing the tree's objects while it is being copied.
    "GIT_CONFIG_COUNT": "1",
    "GIT_CONFIG_KEY_0": "gc.auto",
    "GIT_CONFIG_VALUE_0": "0",
}
FRESH_STATUS = """
import sys
from pathlib import Path
from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.launching import AccountLauncher
from aiops.ports.git_workspaces import WorkTree
programs = {"git": ("git",)}  # found on PATH
launcher = AccountLauncher(backend=None, programs=programs, workspace_root=Path("/nonexistent"))
adapter = GitCliWorkspaces(launcher=launcher, known_hosts=Path("/dev/null"))
status = adapter.status(WorkTree(Path(sys.argv[1])))
assert status.unstaged == 10 and status.untracked == 10, status
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def make_tree(root: Path) -> Path:
    """A clone of a bare remote with FILES committed files, 10 modified and 10 untracked."""
    git("init", "-q", "--bare", "-b", "main", str(root / "remote.git"), cwd=root)
    git("clone", "-q", str(root / "remote.git"), str(root / "work"), cwd=root)
    work = root / "work"
    for i in range(FILES):
        folder = work / f"pkg{i % 50:02d}" / f"mod{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file{i:05d}.py").write_text(f"VALUE = {i}\n")
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", f"{FILES} files", cwd=work)
    git("push", "-q", "-u", "origin", "main", cwd=work)
    for i in range(10):
        with (work / f"pkg{i:02d}" / f"mod{i % 7}" / f"file{i:05d}.py").open("a") as f:
            f.write("# changed\n")
        (work / f"untracked{i}.txt").write_text("new\n")
    git("status", "--porcelain", cwd=work)  # refresh the index once, as a user's shell would
    return work


def timed(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def warm_status(tree: WorkTree, root: Path, runs: int) -> list[float]:
    """status() of `tree` with the launcher as aiops uses it (as root: in this process)."""
    executor = Executor(
        rules=AccountRules(minimum=uid_min(), deny=frozenset(), mapped=lambda _: True),
        programs=launcher_programs(),
        workspace_root=root,
    )
    launcher = AccountLauncher(
        backend=InProcessBackend(executor) if os.geteuid() == 0 else None,
        programs=launcher_programs(),
        workspace_root=root,
    )
    workspaces = GitCliWorkspaces(launcher=launcher, known_hosts=Path("/dev/null"))
    status = workspaces.status(tree)  # warm-up
    assert (status.unstaged, status.untracked) == (10, 10), status
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        workspaces.status(tree)
        times.append(time.perf_counter() - start)
    return times


def accounts_copy(work: Path, root: Path, account: LinuxAccount) -> WorkTree:
    """The same tree as `<root>/<account>/workspace/work`, all of it the account's."""
    workspace = root / account.name / "workspace"
    workspace.mkdir(parents=True)
    for passed in (root.parent, root):  # the account passes through to its folder
        passed.chmod(0o755)
    subprocess.run(["cp", "-a", str(work), str(workspace / "work")], check=True)
    owner = f"{account.uid}:{account.gid}"
    subprocess.run(["chown", "-R", owner, str(root / account.name)], check=True)
    (root / account.name).chmod(0o700)
    workspace.chmod(0o700)
    # The copy changed every file's inode and ctime: refresh the index once, as the account's
    # shell would (status runs with --no-optional-locks and never writes it).
    subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=workspace / "work",
        env=GIT_ENV,
        user=account.uid,
        group=account.gid,
        extra_groups=[],
        check=True,
        capture_output=True,
    )
    return WorkTree(workspace / "work", account)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = 10 if args.quick else 40
    with tempfile.TemporaryDirectory() as tmp, bench_account() as account:
        print(f"making a {FILES:,}-file tree ...", file=sys.stderr, flush=True)
        work = make_tree(Path(tmp))
        baseline_argv = ["git", "-C", str(work), "status", "--porcelain"]
        timed(baseline_argv, 3)  # warm the page cache
        git_s = statistics.median(timed(baseline_argv, runs))
        warm_s = statistics.median(warm_status(WorkTree(work), Path(tmp), runs))
        fresh_s = statistics.median(
            timed([sys.executable, "-c", FRESH_STATUS, str(work)], max(runs // 2, 5))
        )
        rows = [
            row("`git status --porcelain` (fresh process)", git_s, git_s, None),
            row("adapter.status(), warm process", warm_s, git_s, 2.0),
            row("adapter.status(), fresh `python -c` process", fresh_s, git_s, 6.0),
        ]
        if os.geteuid() == 0:
            home = Path(tmp) / "home"
            tree = accounts_copy(work, home, account)
            as_account_s = statistics.median(warm_status(tree, home, runs))
            label = "adapter.status() as the user's Linux account (launcher), warm process"
            rows.append(row(label, as_account_s, git_s, 2.0))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"files": FILES, "runs": runs, "rows": rows}, indent=2) + "\n"
    )
    print(
        f"| measurement ({FILES:,} files, 10 modified, 10 untracked) | median | ratio vs git | target | result |"
    )
    print("|---|---|---|---|---|")
    for r in rows:
        target = "baseline" if r["target_ratio"] is None else f"<= {r['target_ratio']}x"
        result = "-" if r["passed"] is None else ("pass" if r["passed"] else "FAIL")
        print(f"| {r['measurement']} | {r['ms']} ms | {r['ratio']}x | {target} | {result} |")
    return 0 if all(r["passed"] is not False for r in rows) else 1


def row(name: str, seconds: float, baseline: float, target: float | None) -> dict[str, object]:
    ratio = seconds / baseline
    return {
        "measurement": name,
        "ms": round(seconds * 1000, 2),
        "ratio": round(ratio, 2),
        "target_ratio": target,
        "passed": None if target is None else ratio <= target,
    }


if __name__ == "__main__":
    sys.exit(main())
