"""bench/pr_loop.py keeps working: a quick run (2 issues) through the whole loop measures both
latencies beside their baselines (the figures themselves go in docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.accounts import needs_root

BENCH = Path(__file__).parents[2] / "bench" / "pr_loop.py"
pytestmark = [needs_root, pytest.mark.slow]


@pytest.mark.serial  # wall times: never beside other tests' workers
def test_the_pull_request_loop_benchmark_measures_both_latencies(tmp_path: Path) -> None:
    output = tmp_path / "pr_loop.json"

    result = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "2", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: a target missed
    opened, prompted = json.loads(output.read_text())["rows"]
    assert opened["measurement"] == "agent finished -> PR opened and issue commented (2 issues)"
    assert prompted["measurement"] == "review webhook -> prompt in the agent's pane (2 PRs)"
    for row in (opened, prompted):
        assert row["rounds"] == 2
        assert 0 < row["p50"] <= row["p95"]
        assert row["baseline_p50"] > 0
        assert row["ratio_p50"] > 0
    assert "| agent finished -> PR opened" in result.stdout
