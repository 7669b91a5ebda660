"""`aiops project update --auto-pull-request/--no-auto-pull-request` and
`--auto-review-to-agent/--no-auto-review-to-agent` (issue 19): each flag given is set, each
one left out is kept; `project list` shows both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    return cli


def flags(cli: Cli) -> tuple[object, object]:
    (web,) = [p for p in cli.json("project", "list") if p["slug"] == "web"]
    return web["auto_pull_request"], web["auto_review_to_agent"]


def test_the_auto_flags_are_set_one_at_a_time_and_kept_when_left_out(cli: Cli) -> None:
    (web,) = [p for p in cli.json("project", "list") if p["slug"] == "web"]
    project_id = str(web["id"])
    before = flags(cli)

    said = cli.ok("project", "update", project_id, "--auto-pull-request")
    after_one = flags(cli)
    cli.ok("project", "update", project_id, "--auto-review-to-agent", "--name", "Web shop")
    after_both = flags(cli)
    cli.ok("project", "update", project_id, "--no-auto-pull-request")
    after_off = flags(cli)

    assert before == (False, False)
    assert f"project {project_id} updated" in said
    assert after_one == (True, False)
    assert after_both == (True, True)
    assert after_off == (False, True)
    assert "AUTO_REVIEW_TO_AGENT" in cli.ok("project", "list")


def test_a_flag_with_a_value_is_refused_in_one_line(cli: Cli) -> None:
    result = cli.run("project", "update", "1", "--auto-pull-request=yes")

    assert result.returncode != 0
    assert flags(cli) == (False, False)
