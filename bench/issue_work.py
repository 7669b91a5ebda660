"""Work on an issue (issue 19): "Work on it" to the agent's first output, in a new worktree of
the generated large repository (bench/large_repo.py: 50,000 commits, 5,000 files), beside
doing the same by hand in the same run. Medians of N rounds; in each round the sides take
turns (who goes first alternates), so a busy moment of this shared machine weighs on both.

A real member account (made for the run, removed at exit; as root) owns the main workspace
(cloned once from `git daemon`, not timed, as a user who works on issues has it) and every
worktree. The agent is a fake (a script that prints "ready" at once, then sleeps), set as
`codex` with AIOPS_AGENT_COMMANDS. Each round works on a new issue, so each makes a new
worktree (a checkout of 5,000 files) and a new tmux window.

1. StartIssueWork in a warm process (what the issue page's button and the API run): its
   worktree on `aiops/<issue-key-slug>`, the exclusion, AGENTS.override.md, the launch, the
   triage; until "ready" shows in the pane (capture-pane polled every 10 ms).
2. The same from a fresh CLI process: `aiops issue work` when the CLI has it, else
   `aiops session launch --issue-id` (the same launch, without the triage).
3. The baseline, as the member's account by hand: `git worktree add -q --no-track -b B <path>
   origin/main` in the same main workspace, then `tmux new-window` running the fake agent
   there, until "ready" shows.
Target: "Work on it" to the first output <= 3 s; the ratio to the baseline is reported.

    .venv/bin/python bench/issue_work.py [--quick] [--rounds N] [--output FILE]

Prints a Markdown table and writes bench/results/issue_work.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard import bench_folder
from git_scale import AIOPS, EMAIL, instance, member_account, timed
from large_repo import git_daemon, large_repo, overlay

RESULTS = Path(__file__).parent / "results" / "issue_work.json"
TARGET_S = 3.0
FAKE_AGENT = '#!/bin/sh\necho "ready"\nexec sleep 600\n'
SOCKET_NAME = "aiops-bench"
POLL = 0.01


class Account:
    """Commands as the member's account (as root), or as this process's own."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.uid = int(subprocess.check_output(["id", "-u", name]).strip()) if name else None
        self.gid = int(subprocess.check_output(["id", "-g", name]).strip()) if name else None

    def run(self, *argv: str, check: bool = True) -> str:
        user: dict[str, Any] = {}
        if self.uid is not None:
            user = {"user": self.uid, "group": self.gid, "extra_groups": [], "cwd": "/"}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, **user)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
        return done.stdout

    def wait_for(self, socket: str, target: str, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.run("tmux", "-S", socket, "capture-pane", "-p", "-t", target,
                                   check=False):  # fmt: skip
            if time.monotonic() > deadline:
                raise RuntimeError(f"{text!r} never showed in {target}")
            time.sleep(POLL)


def add_issues(count: int) -> None:
    """`count` issues of project 1 on a GitHub connection (no tracker is asked)."""
    from aiops import bootstrap
    from aiops.config import load_settings
    from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
    from aiops.domain.usecases.trackers import AddTrackerCommand

    app = bootstrap(load_settings())
    connection = app.add_tracker()(
        AddTrackerCommand(project_id=1, provider="github", base_url="https://api.github.com",
                          key="acme/web", token="bench-token")
    )  # fmt: skip
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.uow() as uow:
        uow.issues.add_many(
            [
                Issue(
                    connection_id=connection.id or 0, project_id=1, provider=Provider.GITHUB,
                    remote=RemoteIssue(
                        external_id=str(n), number=f"#{n}", title=f"Fix bug {n}", body="",
                        state=IssueState.OPEN, created_at=moment, updated_at=moment,
                    ),
                )
                for n in range(1, count + 1)
            ]
        )  # fmt: skip
        uow.commit()
    app.shutdown_resources()


def cli_has_issue_work(env: dict[str, str]) -> bool:
    argv = [AIOPS, "issue", "work", "--help"]
    return subprocess.run(argv, env=env, capture_output=True, check=False).returncode == 0


def rounds_of_work(
    env: dict[str, str], home: Path, account: Account, rounds: int
) -> tuple[dict[str, list[float]], str]:
    from aiops import bootstrap
    from aiops.config import load_settings
    from aiops.domain.usecases.issue_work import StartIssueWork, StartIssueWorkCommand

    app = bootstrap(load_settings())
    provided = getattr(app, "start_issue_work", None)  # wired by the container, once it is
    start: Callable[[StartIssueWorkCommand], Any] = (
        provided()
        if provided is not None
        else StartIssueWork(uow=app.uow, clock=app.clock(), launch=app.launch_session())
    )
    main = next((home / "home").glob("*/workspace/web"))
    trees = main.parent.parent / "bench-trees"
    account.run("mkdir", "-m", "0700", str(trees))
    agent = str(home / "bin" / "codex")
    base_socket = str(home / "tmux" / "baseline")
    account.run("tmux", "-S", base_socket, "new-session", "-d", "-s", "base", "sleep", "3600")
    cli_kind = "aiops issue work" if cli_has_issue_work(env) else "aiops session launch --issue-id"
    issue = iter(range(1, 2 * rounds + 3))

    def in_process() -> None:
        started = start(StartIssueWorkCommand(issue_id=next(issue), tool="codex",
                                              user_email=EMAIL))  # fmt: skip
        session = started.session
        target = f"={session.tmux_session}:={session.tmux_window}"
        account.wait_for(session.tmux_socket, target, "ready")

    def cli() -> None:
        number = str(next(issue))
        if cli_kind == "aiops issue work":
            argv = [AIOPS, "issue", "work", number, "--user-email", EMAIL, "--tool", "codex",
                    "--json"]  # fmt: skip
        else:
            argv = [AIOPS, "session", "launch", "--user-email", EMAIL, "--project-id", "1",
                    "--tool", "codex", "--issue-id", number, "--json"]  # fmt: skip
        out = json.loads(subprocess.run(argv, env=env, check=True, capture_output=True).stdout)
        session = out.get("session", out)
        target = f"={session['tmux_session']}:={session['tmux_window']}"
        account.wait_for(session["tmux_socket"], target, "ready")

    def by_hand(n: int) -> Callable[[], None]:
        def work() -> None:
            path = str(trees / f"base-{n}")
            account.run("git", "-C", str(main), "worktree", "add", "-q", "--no-track", "-b",
                        f"base/{n}", path, "origin/main")  # fmt: skip
            account.run("tmux", "-S", base_socket, "new-window", "-d", "-t", "base",
                        "-n", f"w{n}", "-c", path, agent)  # fmt: skip
            account.wait_for(base_socket, f"=base:=w{n}", "ready")

        return work

    # A warm-up of each (not timed): the modules, the database, the tmux servers.
    in_process()
    by_hand(-1)()
    times: dict[str, list[float]] = {"use case": [], "cli": [], "by hand": []}
    for n in range(rounds):
        work: dict[str, Callable[[], object]] = {
            "use case": in_process,
            "cli": cli,
            "by hand": by_hand(n),
        }
        for side in sorted(work, reverse=n % 2 == 1):
            times[side].append(timed(work[side]))
    app.shutdown_resources()
    return times, cli_kind


def stop_tmux(account: Account, home: Path) -> None:
    for socket in (home / "tmux").rglob("*"):
        if socket.is_socket():
            account.run("tmux", "-S", str(socket), "kill-server", check=False)


def row(name: str, value: float, baseline: float) -> dict[str, object]:
    return {
        "measurement": name,
        "value": round(value, 3),
        "baseline": round(baseline, 3),
        "unit": "s",
        "ratio": round(value / baseline, 2),
        "target_s": TARGET_S,
        "passed": value <= TARGET_S,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds (a check that it runs)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    rounds = 2 if args.quick else args.rounds
    print("the large repository (generated once, then cached) ...", file=sys.stderr, flush=True)
    repo = large_repo()
    account = Account(member_account())
    with bench_folder() as home:
        served = overlay(repo, home / "served" / "repo.git")
        (home / "tmux").mkdir(mode=0o1777)
        (home / "tmux").chmod(0o1777)
        (home / "bin").mkdir(mode=0o755)
        (home / "bin" / "codex").write_text(FAKE_AGENT)
        (home / "bin" / "codex").chmod(0o755)
        with git_daemon(served) as url:
            env = instance(home, url, account.name) | {
                "AIOPS_TMUX_TMPDIR": str(home / "tmux"),
                "AIOPS_TMUX_SOCKET_NAME": SOCKET_NAME,
                "AIOPS_AGENT_COMMANDS": json.dumps({"codex": [str(home / "bin" / "codex")]}),
            }
            os.environ.update(env)  # the use case reads the same instance as the CLI
            add_issues(2 * rounds + 2)
            print("the member's main workspace (a clone, not timed) ...", file=sys.stderr)
            subprocess.run([AIOPS, "init-workspace", "--user-email", EMAIL, "--project-id", "1"],
                           env=env, check=True, capture_output=True)  # fmt: skip
            print(f"{rounds} rounds of work on an issue ...", file=sys.stderr, flush=True)
            try:
                times, cli_kind = rounds_of_work(env, home, account, rounds)
            finally:
                stop_tmux(account, home)
    m = statistics.median
    hand = m(times["by hand"])
    rows = [
        row(
            "StartIssueWork (warm process) to the agent's first output", m(times["use case"]), hand
        ),
        row(f"`{cli_kind}` (fresh CLI process) to the agent's first output", m(times["cli"]), hand),
    ]
    report = {"rounds": rounds, "times": times, "rows": rows, "account": account.name}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"| measurement (generated repository, 5,000 files, {rounds} rounds) | aiops "
        "| by hand (git worktree add + tmux new-window) | ratio | target | result |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['measurement']} | {r['value']} s | {r['baseline']} s | {r['ratio']}x "
            f"| <= {TARGET_S} s | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
