"""The GitHub adapter against the fake GitHub on 127.0.0.1 (uvicorn in a thread).

1. A first sync of 10,000 issues: exactly 100 list requests (100 per page); issues/s.
2. A re-sync with the first page's ETag: exactly 1 request, answered 304.

    .venv/bin/python bench/trackers.py [--quick] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))  # the fake GitHub lives with the tests


def main() -> int:
    from tests.integration.trackers.fake_github import TOKEN, FakeGitHub, serve

    from aiops.adapters.trackers import GitHubTracker
    from aiops.ports.issue_tracker import TrackerTarget

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 issues instead of 10,000")
    parser.add_argument("--output", type=Path, help="write the figures as JSON here")
    options = parser.parse_args()
    count = 1_000 if options.quick else 10_000

    fake = FakeGitHub()
    for _ in range(count):
        fake.add_issue("acme/web")
    with serve(lambda: fake) as url, GitHubTracker(allow_private_networks=True) as tracker:
        target = TrackerTarget(base_url=url, key="acme/web", token=TOKEN)
        started = time.perf_counter()
        first = tracker.changed_since(target, None, None)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = tracker.changed_since(target, None, first.etag)
        again_s = time.perf_counter() - started

    assert len(first.issues) == count, len(first.issues)
    assert first.requests == count // 100 == len(fake.list_requests()) - 1, first.requests
    assert again.not_modified
    assert again.requests == 1
    rows = [
        {
            "measurement": f"first sync of {count:,} issues ({first.requests} requests)",
            "seconds": round(first_s, 3),
            "per_second": round(count / first_s),
        },
        {"measurement": "re-sync, 1 request answered 304", "seconds": round(again_s, 4)},
    ]
    print("| measurement | seconds | issues/s |\n| --- | ---: | ---: |")
    for row in rows:
        print(f"| {row['measurement']} | {row['seconds']} | {row.get('per_second', '')} |")
    if options.output:
        options.output.write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
