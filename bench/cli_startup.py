"""The CLI's start-up: fresh `aiops` processes beside the floors of Python and of our stack.

Medians of N rounds; each round runs every command once, in turn, so a busy moment of this
shared machine weighs on the baselines and the commands alike. Targets (issue 15):
1. `aiops --help` <= 10x `python -c pass`;
2. `aiops tenant list`, `aiops project list --json`, `aiops playbooks list` (database-backed:
   settings, the schema check, a query) <= 2x `python -c "import sqlalchemy"`;
3. `aiops git status` of a 5,000-file workspace (10 modified, 10 untracked) <= 2x
   `import sqlalchemy` + 2x `git status --porcelain` of the same tree.

    .venv/bin/python bench/cli_startup.py [--quick] [--output FILE]

Prints a Markdown table and writes bench/results/cli_startup.json.
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

from git_status import GIT_ENV, make_tree

VENV_BIN = Path(sys.executable).parent
AIOPS = str(VENV_BIN / "aiops")
RESULTS = Path(__file__).parent / "results" / "cli_startup.json"
WHO = ["--user-email", "ivo@example.com", "--project-id", "1"]


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIOPS_", "GIT_"))}
    return env | {
        "AIOPS_INSTANCE_PATH": str(home / "instance"),
        "AIOPS_WORKSPACE_ROOT": str(home / "home"),
    }


def aiops(env: dict[str, str], *args: str) -> None:
    subprocess.run([AIOPS, *args], env=env, check=True, capture_output=True)


def prepare(home: Path) -> tuple[dict[str, str], Path]:
    """An instance with a tenant, a project whose remote holds 5,000 files, and a user whose
    workspace is cloned, then given 10 modified and 10 untracked files."""
    remote_root = home / "remote"
    remote_root.mkdir()
    make_tree(remote_root)
    env = environment(home)
    aiops(env, "db", "upgrade")
    aiops(env, "tenant", "create", "--slug", "acme", "--name", "Acme")
    aiops(
        env, "project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
        "--repo-url", str(remote_root / "remote.git"),
    )  # fmt: skip
    aiops(env, "user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    aiops(
        env, "member", "add", "--tenant", "acme", "--email", "ivo@example.com", "--role", "member"
    )
    aiops(env, "init-workspace", *WHO)
    (work,) = (home / "home").glob("*/workspace/web")
    for i in range(10):
        with (work / f"pkg{i:02d}" / f"mod{i % 7}" / f"file{i:05d}.py").open("a") as f:
            f.write("# changed\n")
        (work / f"untracked{i}.txt").write_text("new\n")
    subprocess.run(
        ["git", "-C", str(work), "status", "--porcelain"],
        env=GIT_ENV,
        check=True,
        capture_output=True,
    )
    return env, work


def rounds(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """The median of each command, the commands taking turns in every round."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the page cache, and check each works
        subprocess.run(argv, env=env, check=True, capture_output=True)
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def row(name: str, seconds: float, baseline: str, base: float, limit: float) -> dict[str, object]:
    return {
        "measurement": name,
        "ms": round(seconds * 1000, 1),
        "baseline": baseline,
        "baseline_ms": round(base * 1000, 1),
        "ratio": round(seconds / base, 2),
        "target_ms": round(limit * 1000, 1),
        "passed": seconds <= limit,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = 7 if args.quick else 21
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        print("making an instance and a 5,000-file workspace ...", file=sys.stderr, flush=True)
        env, work = prepare(Path(tmp))
        commands = {
            "pass": [python, "-c", "pass"],
            "sqlalchemy": [python, "-c", "import sqlalchemy"],
            "git": ["git", "-C", str(work), "status", "--porcelain"],
            "help": [AIOPS, "--help"],
            "tenant": [AIOPS, "tenant", "list"],
            "project": [AIOPS, "project", "list", "--json"],
            "playbooks": [AIOPS, "playbooks", "list"],
            "git status": [AIOPS, "git", "status", *WHO],
        }
        print(f"{runs} rounds of {len(commands)} commands ...", file=sys.stderr, flush=True)
        m = rounds(commands, env, runs)
    floor, stack, git = m["pass"], m["sqlalchemy"], m["git"]
    rows = [
        row("`aiops --help`", m["help"], "`python -c pass`", floor, 10 * floor),
        row("`aiops tenant list`", m["tenant"], "`import sqlalchemy`", stack, 2 * stack),
        row("`aiops project list --json`", m["project"], "`import sqlalchemy`", stack, 2 * stack),
        row("`aiops playbooks list`", m["playbooks"], "`import sqlalchemy`", stack, 2 * stack),
        row(
            "`aiops git status`, 5,000 files (10 modified, 10 untracked)",
            m["git status"],
            f"`git status --porcelain`: {git * 1000:.1f} ms; `import sqlalchemy`",
            stack,
            2 * stack + 2 * git,
        ),
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"runs": runs, "medians": m, "rows": rows}, indent=2) + "\n")
    print("| measurement | median | baseline (same run) | ratio | target | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['measurement']} | {r['ms']} ms | {r['baseline']}: {r['baseline_ms']} ms "
            f"| {r['ratio']}x | <= {r['target_ms']} ms | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
