"""The document is true for a running server: schemathesis's own command line, every check,
against uvicorn on a loopback port (as `st run URL/api/v1/openapi.json --checks all`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dependency_injector import providers

from aiops.container import Container
from aiops.entrypoints.http.app import create_app
from tests.fakes import FakePlaybookRunner
from tests.integration.http.conftest import World
from tests.integration.http.sse import serving


@pytest.mark.xfail(
    reason="schema-valid requests the domain still refuses for state the request cannot see "
    "(no repo_url, no Linux account, unknown identity id, playbook not allowlisted), or for "
    "rules JSON Schema does not state (email local part > 64, 'printable' filter text): "
    "docs/adr/0015-api-schemas-from-classes.md",
    strict=True,
)
def test_schemathesis_finds_no_failure_with_every_check(
    app: Container, world: World, tmp_path: Path
) -> None:
    runner = FakePlaybookRunner()  # a generated run is recorded, never run
    app.gateways.playbook_runner.override(providers.Object(runner))
    try:
        with serving(create_app(app)) as base:
            st = Path(sys.executable).with_name("st")
            result = subprocess.run(
                [
                    str(st), "run", f"{base}/api/v1/openapi.json", "--checks", "all",
                    "--header", f"Authorization: Bearer {world.tokens[World.ADMIN]}",
                    "--max-examples", "10", "--seed", "1", "--no-color",
                    "--report-dir", str(tmp_path),
                ],
                capture_output=True, text=True, timeout=280, check=False, cwd=tmp_path,
            )  # fmt: skip
    finally:
        runner.stop_all()

    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, summary or result.stdout[-3000:] + result.stderr[-2000:]
