"""Workspace status on a 5,000-file tree: the adapter beside `git status --porcelain`.

A bare remote, a clone with 5,000 committed files (pushed), then 10 files modified and 10
untracked. Medians of N runs:
1. `git status --porcelain` in a fresh process (the baseline);
2. DulwichGitWorkspaces.status() in a warm process (after one warm-up call), target <= 2x;
3. DulwichGitWorkspaces.status() in a fresh `python -c` process, target <= 6x.

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

RESULTS = Path(__file__).parent / "results" / "git_status.json"
FILES = 5_000
GIT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}
FRESH_STATUS = """
import sys
from pathlib import Path
from aiops.adapters.git import DulwichGitWorkspaces
status = DulwichGitWorkspaces(known_hosts=Path("/dev/null")).status(Path(sys.argv[1]))
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


def warm_status(work: Path, runs: int) -> list[float]:
    from aiops.adapters.git import DulwichGitWorkspaces

    workspaces = DulwichGitWorkspaces(known_hosts=Path("/dev/null"))
    status = workspaces.status(work)  # warm-up
    assert (status.unstaged, status.untracked) == (10, 10), status
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        workspaces.status(work)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = 10 if args.quick else 40
    with tempfile.TemporaryDirectory() as tmp:
        print(f"making a {FILES:,}-file tree ...", file=sys.stderr, flush=True)
        work = make_tree(Path(tmp))
        baseline_argv = ["git", "-C", str(work), "status", "--porcelain"]
        timed(baseline_argv, 3)  # warm the page cache
        git_s = statistics.median(timed(baseline_argv, runs))
        warm_s = statistics.median(warm_status(work, runs))
        fresh_s = statistics.median(
            timed([sys.executable, "-c", FRESH_STATUS, str(work)], max(runs // 2, 5))
        )
    rows = [
        row("`git status --porcelain` (fresh process)", git_s, git_s, None),
        row("adapter.status(), warm process", warm_s, git_s, 2.0),
        row("adapter.status(), fresh `python -c` process", fresh_s, git_s, 6.0),
    ]
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
