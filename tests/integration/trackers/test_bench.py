"""bench/trackers.py keeps working (a quick run: 1,000 issues in 10 requests through the
adapter and through SyncIssues on SQLite, then an idle re-sync answered 304)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[3] / "bench" / "trackers.py"


def test_the_quick_tracker_benchmark_runs_and_counts_its_requests(tmp_path: Path) -> None:
    output = tmp_path / "trackers.json"

    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    adapter, first, idle = json.loads(output.read_text())["rows"]
    assert adapter["measurement"] == "adapter: list 1,000 issues (10 requests)"
    assert first["measurement"] == "SyncIssues, first sync of 1,000 issues on SQLite (10 requests)"
    assert first["per_second"] > 0
    assert idle["measurement"] == "SyncIssues, idle re-sync (1 request, answered 304)"
