"""Git at real size (issue 16): aiops beside git on the generated large repository
(bench/large_repo.py: 50,000 commits, 5,000 files, 600 tags, 21,000 refs/pull/*) served by
`git daemon` on 127.0.0.1. Medians of N rounds; in each round aiops and git take turns (who
goes first alternates), so a busy moment of this shared machine weighs on both.

1. `aiops init-workspace` (a fresh CLI process: settings, database, the InitWorkspace use case,
   the clone, the first snapshot) beside `git clone` of the same URL: wall time, and the peak
   memory of the whole process tree. Targets: time <= 1.3x, memory <= 1.5x.
2. A fetch of one new commit on main: the fetch use case (OperateWorkspace, as `aiops git
   fetch` runs it, in a warm process), `POST /api/v1/projects/1/workspace/fetch` on a running
   `aiops serve` (what the card's Fetch button waits for) and `aiops git fetch` (a fresh CLI
   process), each beside `git fetch` in a clone of the same URL, the same round.
   Target: <= 1.5x.
3. Workspace status, warm process: the adapter's status() of the workspace beside `git status
   --porcelain` of the same tree. Target: <= 2x.

Memory: every 10 ms the process's tree is found from /proc/*/stat (parent ids) and its
members' resident set sizes (/proc/PID/statm) are summed; the peak of that sum is the figure
the target applies to (pages shared by two processes count twice, alike on both sides; a
process that lives less than 10 ms may be missed, alike on both sides). Beside it: the peak
sum of proportional set sizes (Pss of /proc/PID/smaps_rollup: a shared page counted once
over its sharers), and the largest single process's ru_maxrss (os.wait4), in the JSON.

    .venv/bin/python bench/git_scale.py [--quick] [--rounds N] [--output FILE]

Prints a Markdown table and writes bench/results/git_scale.json.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import httpx

from dashboard import bench_folder, free_port, instance_env, serving
from large_repo import GIT_ENV, add_commit, git_daemon, large_repo, overlay

VENV_BIN = Path(sys.executable).parent
AIOPS = str(VENV_BIN / "aiops")
RESULTS = Path(__file__).parent / "results" / "git_scale.json"
EMAIL = "ivo@example.com"
WHO = ["--user-email", EMAIL, "--project-id", "1"]
PAGE = os.sysconf("SC_PAGE_SIZE")
POLL = 0.01


@attrs.frozen
class Sample:
    seconds: float
    peak_tree_bytes: int  # the largest sum of the tree's resident sets seen
    peak_tree_pss_bytes: int  # the same with proportional set sizes
    max_process_bytes: int  # the largest single process (ru_maxrss of the tree)


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc/*/stat."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _pss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def _tree_memory(pid: int) -> tuple[int, int]:
    """The sums of the resident and of the proportional set sizes of `pid` and its tree."""
    children, rss, pss, todo = _children(), 0, 0, [pid]
    while todo:
        member = todo.pop()
        todo.extend(children.get(member, ()))
        try:
            rss += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE
            pss += _pss(member)
        except (OSError, IndexError):
            continue  # gone meanwhile
    return rss, pss


def measured(argv: list[str], *, env: dict[str, str], cwd: Path | None = None) -> Sample:
    """Run `argv` to its end: wall time, peak memory of its tree (see the docstring)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = peak_pss = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        rss, pss = _tree_memory(process.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(POLL)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None
    if process.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed: {process.stderr.read().decode()[-500:]}")
    process.stderr.close()
    return Sample(seconds, peak, peak_pss, usage.ru_maxrss * 1024)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def member_account() -> str | None:
    """The member's own Linux account, as in production: git runs as it, started by the CLI
    (as root) and by the server's launcher. Made for the run, removed at exit; None unless
    root (then the member has no account and aiops's own works in its workspace)."""
    if os.geteuid() != 0:
        return None
    name = f"aiops-bm-{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    atexit.register(subprocess.run, ["userdel", "-r", name], capture_output=True, check=False)
    return name


def instance(home: Path, url: str, account: str | None = None) -> dict[str, str]:
    """An instance with a tenant, a project on `url` and a member, mapped to `account`."""
    mapping = json.dumps({EMAIL: account} if account else {})
    env = instance_env(
        home / "instance",
        AIOPS_WORKSPACE_ROOT=str(home / "home"),
        AIOPS_LINUX_USER_MAPPING=mapping,
    )
    env = {k: v for k, v in env.items() if not k.startswith("GIT_")}

    def aiops(*args: str) -> None:
        subprocess.run([AIOPS, *args], env=env, check=True, capture_output=True)

    aiops("db", "upgrade")
    aiops("tenant", "create", "--slug", "acme", "--name", "Acme")
    aiops(
        "project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
        "--repo-url", url,
    )  # fmt: skip
    aiops("user", "create", "--email", EMAIL, "--name", "Ivo")
    aiops("member", "add", "--tenant", "acme", "--email", EMAIL, "--role", "member")
    return env


def clone_rounds(url: str, env: dict[str, str], home: Path, rounds: int) -> dict[str, list[Sample]]:
    """`aiops init-workspace` and `git clone`, taking turns; leaves one of each in place."""
    samples: dict[str, list[Sample]] = {"aiops": [], "git": []}
    clone = home / "git-clone"
    measured(["git", "clone", "-q", url, str(clone)], env=GIT_ENV)  # warm the server's cache
    for n in range(rounds):
        shutil.rmtree(clone, ignore_errors=True)
        shutil.rmtree(home / "home", ignore_errors=True)
        order = ["git", "aiops"] if n % 2 == 0 else ["aiops", "git"]
        for side in order:
            if side == "git":
                samples["git"].append(
                    measured(["git", "clone", "-q", url, str(clone)], env=GIT_ENV)
                )
            else:
                samples["aiops"].append(measured([AIOPS, "init-workspace", *WHO], env=env))
    return samples


def fetch_rounds(
    served: Path, env: dict[str, str], clone: Path, rounds: int
) -> dict[str, list[float]]:
    """One new commit on main, fetched by git and by aiops (the use case in this warm
    process; the API of a running server; the CLI), each beside its own `git fetch` of the
    same round. Started as root, the server hands the instance to its service account and
    runs the launcher; the CLI's rounds come after, so that they run as in production (root's
    command becomes the service account, and the launcher acts as the member)."""
    from aiops.domain.usecases.workspaces import GitOperation, OperateCommand
    from aiops.entrypoints.cli._runtime import actor, open_container

    operate = open_container().operate_workspace()  # the instance of os.environ (main)
    command = OperateCommand(
        project_id=1, user_email=EMAIL, actor=actor(), operation=GitOperation.FETCH
    )
    git_fetch = ["git", "-C", str(clone), "fetch", "-q"]
    times: dict[str, list[float]] = {}

    def beside_git(kind: str, fetch: Callable[[], object]) -> None:
        for n in range(rounds):
            add_commit(served, "refs/heads/main", f"round-{n}-{kind.replace(' ', '-')}.txt")
            work: dict[str, Callable[[], object]] = {
                f"git ({kind})": lambda: measured(git_fetch, env=GIT_ENV),
                kind: fetch,
            }
            for side in sorted(work, reverse=n % 2 == 1):
                times.setdefault(side, []).append(timed(work[side]))

    operate(command)  # warm: the container's engine, the adapter's modules
    beside_git("use case", lambda: operate(command))
    token = subprocess.run(
        [AIOPS, "token", "create", "--email", EMAIL, "--name", "bench"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    with (
        serving([AIOPS, "serve", "--port", str(port)], port, env) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as browser,
    ):

        def api_fetch() -> None:
            browser.post("/api/v1/projects/1/workspace/fetch").raise_for_status()

        api_fetch()  # warm: the server's engine and modules, as after its first request
        beside_git("api", api_fetch)
        beside_git("cli", lambda: measured([AIOPS, "git", "fetch", *WHO], env=env))
    return times


def status_rounds(work: Path, account: str | None, runs: int) -> dict[str, list[float]]:
    """The adapter's status() of the workspace (warm, as its account, wired as the CLI wires
    it) beside `git status --porcelain` (as the same account)."""
    from aiops.entrypoints.cli._runtime import open_container
    from aiops.ports.git_workspaces import WorkTree

    app = open_container()  # the instance of os.environ (main)
    adapter = app.gateways.git_workspaces()
    tree = WorkTree(work, app.gateways.linux_users().lookup(account) if account else None)
    as_account = ["runuser", "-u", account, "--"] if account else []
    git_status = [*as_account, "git", "-C", str(work), "status", "--porcelain"]
    adapter.status(tree)
    subprocess.run(git_status, env=GIT_ENV, check=True, capture_output=True)
    times: dict[str, list[float]] = {"adapter": [], "git": []}
    for _ in range(runs):
        times["adapter"].append(timed(lambda: adapter.status(tree)))
        times["git"].append(
            timed(lambda: subprocess.run(git_status, env=GIT_ENV, check=True, capture_output=True))
        )
    return times


def row(name: str, value: float, baseline: float, target: float, unit: str) -> dict[str, object]:
    ratio = value / baseline
    return {
        "measurement": name,
        "value": round(value, 3),
        "baseline": round(baseline, 3),
        "unit": unit,
        "ratio": round(ratio, 2),
        "target_ratio": target,
        "passed": ratio <= target,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds (a check that it runs)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    print("the large repository (generated once, then cached) ...", file=sys.stderr, flush=True)
    repo = large_repo()
    account = member_account()
    with bench_folder() as home:
        served = overlay(repo, home / "served" / "repo.git")
        with git_daemon(served) as url:
            env = instance(home, url, account)
            os.environ.update(env)  # the use cases below read the same instance as the CLI
            print(f"{rounds} rounds of clones ...", file=sys.stderr, flush=True)
            clones = clone_rounds(url, env, home, rounds)
            (work,) = (home / "home").glob("*/workspace/web")
            statuses = status_rounds(work, account, 11 if args.quick else 41)
            print(f"{rounds} rounds of fetches ...", file=sys.stderr, flush=True)
            fetches = fetch_rounds(served, env, home / "git-clone", rounds)
    m = statistics.median
    init_s = m(s.seconds for s in clones["aiops"])
    clone_s = m(s.seconds for s in clones["git"])
    init_mb = m(s.peak_tree_bytes for s in clones["aiops"]) / 2**20
    clone_mb = m(s.peak_tree_bytes for s in clones["git"]) / 2**20
    init_pss = m(s.peak_tree_pss_bytes for s in clones["aiops"]) / 2**20
    clone_pss = m(s.peak_tree_pss_bytes for s in clones["git"]) / 2**20
    rows = [
        row("`aiops init-workspace` vs `git clone`: time", init_s, clone_s, 1.3, "s"),
        row(
            "the same: peak memory of the process tree (sum of RSS)", init_mb, clone_mb, 1.5, "MiB"
        ),
        row(
            "the same: peak memory of the process tree (sum of PSS)",
            init_pss,
            clone_pss,
            1.5,
            "MiB",
        ),
        row(
            "fetch of one new commit: the use case, warm process, vs `git fetch`",
            m(fetches["use case"]),
            m(fetches["git (use case)"]),
            1.5,
            "s",
        ),
        row(
            "the same: `POST .../workspace/fetch` on a running `aiops serve` vs `git fetch`",
            m(fetches["api"]),
            m(fetches["git (api)"]),
            1.5,
            "s",
        ),
        row(
            "the same: `aiops git fetch` (fresh CLI process) vs `git fetch`",
            m(fetches["cli"]),
            m(fetches["git (cli)"]),
            1.5,
            "s",
        ),
        row(
            "workspace status: adapter, warm process, vs `git status --porcelain`",
            m(statuses["adapter"]),
            m(statuses["git"]),
            2.0,
            "s",
        ),
    ]
    report = {
        "rounds": rounds,
        "clones": {k: [attrs.asdict(s) for s in v] for k, v in clones.items()},
        "fetches": fetches,
        "statuses": {k: m(v) for k, v in statuses.items()},
        "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"| measurement (generated repository, git daemon, {rounds} rounds) | aiops | git | ratio | target | result |"
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
