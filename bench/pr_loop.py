"""The issue-to-pull-request loop (issue 19) against a real `aiops serve`, beside baselines of
the same run. Needs root (the agents run as a throwaway Linux account) and tmux.

The world is the end-to-end tests' (tests/pr_loop.py): `aiops serve` on SQLite with its loop
thread at its default poll (AIOPS_PR_LOOP_POLL_SECONDS), the fake GitHub over HTTP on
127.0.0.1 (in this process), a bare git remote the account pushes to, the project's
auto_pull_request and auto_review_to_agent on; an issue per round, each worked on ("Work on
it") by the fake agent (tests/fakes/agents/pr_agent) in its own worktree and tmux window.

1. Agent finished -> pull request opened and issue commented: from the moment the agent runs
   its `finished` hook (it prints the time) to the arrival at the fake of the later of the two
   writes (`POST /pulls`, `POST /issues/{n}/comments`); the push comes first. Target p95 <= 5 s.
   Baseline: the same two writes made directly with httpx against the fake.
2. Review webhook -> prompt in the pane: a "changes requested" review with one comment set on
   the fake, its signed `pull_request_review` delivery posted, then the pane captured every
   10 ms until the agent shows the prompt it read. Target p95 <= 2 s. Baseline: the same
   prompt typed into the same pane by hand (tmux send-keys, then Enter) with the same polling.

    sudo .venv/bin/python bench/pr_loop.py [--quick] [--rounds N] [--output FILE]

Prints a Markdown table and writes bench/results/pr_loop.json; exits 1 when a target is missed
(without root or tmux it says so and exits 0, 2 under CI).
("Work on it" to the agent's first output is bench/issue_work.py's.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # the world and its fakes live with the tests
from tests.accounts import throwaway_account  # noqa: E402
from tests.pr_loop import World, pr_loop_world, tmux_tmpdir, until  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "pr_loop.json"
OPEN_TARGET_S = 5.0
PROMPT_TARGET_S = 2.0
FINISHING = re.compile(r"finishing at (\d+\.\d+)")
PROMPT = re.compile(r"^prompt: (.+)$", re.MULTILINE)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def finished_to_opened(world: World, rounds: int) -> tuple[list[float], dict[int, str]]:
    """Per round: seconds from the agent's `finished` to both writes on the fake; and each
    round's tmux target by its PR number."""
    times: list[float] = []
    targets: dict[int, str] = {}
    arrivals = world.host.arrivals
    for number in range(1, rounds + 1):
        issue = world.issue(f"#{number}")
        _, target = world.work(issue["id"])
        screen = until("the agent's finished hook", lambda t=target: _finishing(world, t), 60)
        finishing = float(FINISHING.findall(screen)[0])

        def both(n: int = number, since: float = finishing) -> tuple[float, float] | None:
            opened = arrivals.first("POST", r"/pulls$", since)
            commented = arrivals.first("POST", rf"/issues/{n}/comments$", since)
            return (opened, commented) if opened and commented else None

        opened, commented = until(f"round {number}'s pull request and comment", both, 60, 0.005)
        times.append(max(opened, commented) - finishing)
        (pull,) = [p for p in world.host.pulls() if p["head"].startswith(f"aiops/gh-{number}-")]
        targets[pull["number"]] = target
    return times, targets


def _finishing(world: World, target: str) -> str | None:
    screen = world.pane(target)
    return screen if FINISHING.search(screen) else None


def direct_writes(world: World, rounds: int) -> list[float]:
    """The same two writes, made directly with httpx (one client, as aiops keeps one)."""
    host = world.host
    times = []
    with httpx.Client(base_url=host.url, headers=host.headers(), timeout=10) as client:
        for i in range(rounds):
            started = time.perf_counter()
            made = client.post(
                f"{host.project_path()}/pulls",
                json={"title": f"Baseline {i}", "head": f"baseline-{i}", "base": "main",
                      "body": "Closes #1"},
            )  # fmt: skip
            assert made.status_code == 201, made.text
            said = client.post(f"{host.project_path()}/issues/1/comments", json={"body": "hi"})
            assert said.status_code == 201, said.text
            times.append(time.perf_counter() - started)
    return times


def prompts_in(world: World, target: str) -> list[str]:
    return PROMPT.findall(world.pane(target))


def webhook_to_prompt(world: World, targets: dict[int, str]) -> tuple[list[float], str]:
    """Per PR: seconds from the review's webhook to the prompt in its agent's pane; and the
    prompt aiops typed (for the baseline)."""
    times = []
    typed = ""
    for number, target in targets.items():
        event, payload = world.host.review(number)
        started = time.perf_counter()
        world.webhook(event, payload)
        (typed,) = until(f"the prompt in PR {number}'s pane",
                         lambda t=target: prompts_in(world, t), 30, 0.01)  # fmt: skip
        times.append(time.perf_counter() - started)
    return times, typed


def typed_by_hand(world: World, targets: dict[int, str], prompt: str) -> list[float]:
    times = []
    for target in targets.values():
        before = len(prompts_in(world, target))
        started = time.perf_counter()
        world.type_into(target, prompt)
        until(
            "the typed prompt", lambda t=target, b=before: len(prompts_in(world, t)) > b, 30, 0.01
        )
        times.append(time.perf_counter() - started)
    return times


def row(
    measurement: str, values: list[float], baseline: str, base: list[float], target: float
) -> dict[str, Any]:
    median, high = statistics.median(values), p95(values)
    base_median = statistics.median(base)
    return {
        "measurement": measurement,
        "rounds": len(values),
        "p50": round(median * 1000, 1),
        "p95": round(high * 1000, 1),
        "baseline": baseline,
        "baseline_p50": round(base_median * 1000, 1),
        "baseline_p95": round(p95(base) * 1000, 1),
        "ratio_p50": round(median / base_median, 1),
        "target": f"p95 <= {target:g} s",
        "passed": high <= target,
    }


def measure(rounds: int) -> list[dict[str, Any]]:
    titles = [f"Fix bug {n}" for n in range(1, rounds + 1)]
    with (
        throwaway_account("aiops-bp") as account,
        tmux_tmpdir() as tmpdir,
        pr_loop_world("github", account=account, tmux_tmpdir=tmpdir, titles=titles) as world,
    ):
        opened, targets = finished_to_opened(world, rounds)
        direct = direct_writes(world, rounds)
        prompted, prompt = webhook_to_prompt(world, targets)
        by_hand = typed_by_hand(world, targets, prompt)
    return [
        row(f"agent finished -> PR opened and issue commented ({rounds} issues)", opened,
            "the same 2 writes with httpx", direct, OPEN_TARGET_S),
        row(f"review webhook -> prompt in the agent's pane ({rounds} PRs)", prompted,
            "the prompt typed by hand (send-keys) + the same polling", by_hand, PROMPT_TARGET_S),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 20")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0 or shutil.which("tmux") is None:
        print(
            "bench/pr_loop.py needs root (a throwaway account) and tmux: skipped", file=sys.stderr
        )
        return 2 if os.environ.get("CI") else 0  # `make bench` goes on without root
    rounds = args.rounds or (5 if args.quick else 20)
    rows = measure(rounds)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"quick": args.quick, "rows": rows}, indent=2) + "\n")
    print("| measurement | p50 | p95 | baseline (same run) | baseline p50 | baseline p95 "
          "| ratio (p50) | target | result |")  # fmt: skip
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |")
    for r in rows:
        print(
            f"| {r['measurement']} | {r['p50']} ms | {r['p95']} ms | {r['baseline']} "
            f"| {r['baseline_p50']} ms | {r['baseline_p95']} ms | {r['ratio_p50']}x "
            f"| {r['target']} | {'pass' if r['passed'] else 'FAIL'} |"
        )
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
