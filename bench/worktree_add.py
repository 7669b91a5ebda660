"""Worktrees (issue 16): `aiops worktree add` beside `git worktree add`, on the generated large
repository (bench/large_repo.py: 50,000 commits, 5,000 files). Medians of N rounds; in each
round the sides take turns (who goes first alternates), so a busy moment of this shared
machine weighs on both.

1. `aiops worktree add --branch B` in a fresh CLI process (settings, database, the AddWorktree
   use case, the checkout of 5,000 files) beside `git worktree add --no-track -b B <path>
   origin/main` in a plain clone of the same repository. Target: <= 1.5x.
2. The AddWorktree use case in a warm process beside the same `git worktree add`. Target:
   <= 1.5x.
Each worktree is removed (not timed) before the next round, so every round checks out anew.

    .venv/bin/python bench/worktree_add.py [--quick] [--rounds N] [--output FILE]

Prints a Markdown table and writes bench/results/worktree_add.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from git_scale import AIOPS, EMAIL, instance, row, timed
from large_repo import GIT_ENV, large_repo

RESULTS = Path(__file__).parent / "results" / "worktree_add.json"
WHO = ["--user-email", EMAIL, "--project-id", "1"]


def run(argv: list[str], env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout


def rounds_of_adds(
    repo: Path, env: dict[str, str], home: Path, rounds: int
) -> dict[str, list[float]]:
    os.environ.update(env)  # the use case reads the same instance as the CLI
    from aiops.domain.usecases.worktrees import AddWorktreeCommand, RemoveWorktreeCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    run([AIOPS, "init-workspace", *WHO], env)
    clone = home / "git-clone"
    run(["git", "clone", "-q", str(repo), str(clone)], GIT_ENV)
    container = open_container()
    add, remove = container.add_worktree(), container.remove_worktree()
    me = actor()

    def git_add(n: int, kind: str) -> Callable[[], object]:
        path = home / "git-trees" / f"{kind}-{n}"
        argv = ["git", "-C", str(clone), "worktree", "add", "-q", "--no-track", "-b",
                f"{kind}-{n}", str(path), "origin/main"]  # fmt: skip
        return lambda: run(argv, GIT_ENV)

    def git_drop(n: int, kind: str) -> None:
        path = home / "git-trees" / f"{kind}-{n}"
        run(["git", "-C", str(clone), "worktree", "remove", "--force", str(path)], GIT_ENV)

    def use_case(n: int) -> Callable[[], object]:
        cmd = AddWorktreeCommand(project_id=1, user_email=EMAIL, branch=f"warm-{n}", actor=me)
        return lambda: add(cmd)

    def cli(n: int) -> Callable[[], object]:
        return lambda: run([AIOPS, "worktree", "add", *WHO, "--branch", f"cli-{n}"], env)

    def drop_all() -> None:
        with container.uow() as uow:
            ids = [w.id or 0 for w in uow.worktrees.list()]
        for wid in ids:
            remove(RemoveWorktreeCommand(worktree_id=wid, force=True, actor=me))

    add(AddWorktreeCommand(project_id=1, user_email=EMAIL, branch="warm-up", actor=me))
    drop_all()
    times: dict[str, list[float]] = {k: [] for k in ("git (cli)", "cli", "git", "use case")}
    for n in range(rounds):
        for kind, baseline, ours in (
            ("cli", "git (cli)", cli(n)),
            ("use case", "git", use_case(n)),
        ):
            work = {baseline: git_add(n, baseline.split()[-1].strip("()")), kind: ours}
            for side in sorted(work, reverse=n % 2 == 1):
                times[side].append(timed(work[side]))
            git_drop(n, baseline.split()[-1].strip("()"))
            drop_all()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds (a check that it runs)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    print("the large repository (generated once, then cached) ...", file=sys.stderr, flush=True)
    repo = large_repo()
    with tempfile.TemporaryDirectory(prefix="aiops-worktree-add-") as tmp:
        home = Path(tmp)
        env = instance(home, str(repo))
        print(f"{rounds} rounds of worktree adds ...", file=sys.stderr, flush=True)
        times = rounds_of_adds(repo, env, home, rounds)
    m = statistics.median
    rows = [
        row(
            "`aiops worktree add` (fresh CLI process) vs `git worktree add`",
            m(times["cli"]),
            m(times["git (cli)"]),
            1.5,
            "s",
        ),
        row(
            "the AddWorktree use case, warm process, vs `git worktree add`",
            m(times["use case"]),
            m(times["git"]),
            1.5,
            "s",
        ),
    ]
    report = {"rounds": rounds, "times": times, "rows": rows}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"| measurement (generated repository, 5,000 files, {rounds} rounds) | aiops | git "
        "| ratio | target | result |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['measurement']} | {r['value']} {r['unit']} | {r['baseline']} {r['unit']} "
            f"| {r['ratio']}x | <= {r['target_ratio']}x | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
