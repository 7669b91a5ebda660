"""A real scheduler process (the same entrypoint as `aiops scheduler run`) whose runner also
knows the test-only kind `noop`: it appends "start NAME OWNER" and "end NAME OWNER" lines to
the file named by --runs (O_APPEND: lines from several processes never interleave), sleeping
params["sleep"] seconds in between. The kind exists only here, never in aiops itself.

    python -m tests.integration.jobs.noop_runner --runs FILE [--once] [--owner O] [--poll S]
        [--lease S]       (AIOPS_DATABASE_URL / AIOPS_INSTANCE_PATH name the database)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dependency_injector import providers

from aiops.config import load_settings
from aiops.container import bootstrap
from aiops.domain.model.jobs import Job
from aiops.entrypoints.scheduler import run_in_foreground


class Noop:
    def __init__(self, runs: Path, owner: str) -> None:
        self._runs = runs
        self._owner = owner

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return dict(params)

    def _note(self, what: str, job: Job) -> None:
        fd = os.open(self._runs, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{what} {job.name} {self._owner}\n".encode())
        finally:
            os.close(fd)

    def __call__(self, job: Job) -> str:
        self._note("start", job)
        time.sleep(float(job.params.get("sleep", 0)))
        self._note("end", job)
        return "noop"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--owner", required=True)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--poll", type=float)
    parser.add_argument("--lease", type=float)
    args = parser.parse_args()
    container = bootstrap(load_settings())
    handlers = {**container.job_handlers(), "noop": Noop(args.runs, args.owner)}
    container.job_handlers.override(providers.Object(handlers))
    try:
        run_in_foreground(
            container, once=args.once, owner=args.owner, poll=args.poll, lease=args.lease
        )
    finally:
        container.shutdown_resources()


if __name__ == "__main__":
    main()
