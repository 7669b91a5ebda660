"""bench/metrics.py keeps working (a quick run; the figures go in docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "bench" / "metrics.py"


@pytest.mark.serial  # wall times: never beside other tests' workers
def test_the_metrics_benchmark_measures_both_builds_and_a_scrape(tmp_path: Path) -> None:
    output = tmp_path / "metrics.json"

    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode in (0, 1), result.stderr  # 1: the target missed (the table says)
    report = json.loads(output.read_text())
    assert set(report["median_ms"]) == {"with RequestTiming", "without"}
    assert all(value > 0 for value in report["median_ms"].values())
    assert report["scrape_ms"] > 0
    assert "| difference (the middleware's cost) |" in result.stdout
