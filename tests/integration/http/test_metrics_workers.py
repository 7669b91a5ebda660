"""Several server processes: with PROMETHEUS_MULTIPROC_DIR set, a scrape of any one of them
counts every worker's requests (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from aiops.config import Settings

WORKER = """
import sys
from starlette.testclient import TestClient
from aiops.config import load_settings
from aiops.container import bootstrap
from aiops.entrypoints.http.app import create_app

container = bootstrap(load_settings(database_url=sys.argv[1], instance_path=sys.argv[2]))
with TestClient(create_app(container), client=("127.0.0.1", 40000)) as client:
    for _ in range(int(sys.argv[3])):
        assert client.get("/healthz").status_code == 200
    if sys.argv[4] == "scrape":
        print(client.get("/metrics").text)
"""


def worker(settings: Settings, env: dict[str, str], requests: int, scrape: bool) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            settings.database_url,
            str(settings.instance_path),
            str(requests),
            "scrape" if scrape else "-",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_scrape_counts_the_requests_of_every_worker(
    settings: Settings, migrated: object, tmp_path: Path
) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}

    worker(settings, env, 3, scrape=False)
    body = worker(settings, env, 5, scrape=True)

    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    healthz = (("method", "GET"), ("route", "/healthz"), ("status", "2xx"))
    assert found[("aiops_http_request_duration_seconds_count", healthz)] == 3 + 5
    assert found[("aiops_database_up", ())] == 1
    assert len(list(shared.iterdir())) >= 2  # a file per process
