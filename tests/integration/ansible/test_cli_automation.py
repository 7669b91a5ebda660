"""`aiops run-playbook | playbooks list | runs list|show|cancel` end to end, in subprocesses,
with real ansible-runner, on SQLite and PostgreSQL; PATH without the venv's bin (the adapter
puts it first for ansible-runner itself)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.ansible.conftest import TEST_PLAYBOOKS
from tests.integration.test_cli import Cli

pytestmark = pytest.mark.slow


@pytest.fixture
def cli(tmp_path: Path, database_url: str, ansible_dir: Path) -> Cli:
    cli = Cli(
        tmp_path,
        AIOPS_DATABASE_URL=database_url,
        AIOPS_ANSIBLE_DIR=str(ansible_dir),
        AIOPS_PLAYBOOKS=TEST_PLAYBOOKS,
        PATH="/usr/bin:/bin",
    )
    cli.ok("db", "upgrade")
    return cli


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_run_playbook_streams_json_events_then_the_summary(cli: Cli) -> None:
    result = cli.run("run-playbook", "ping", "--json")
    assert result.returncode == 0, result.stderr
    *events, summary = json_lines(result.stdout)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["event"] == "playbook_on_stats"
    assert any(e["event"] == "runner_on_ok" and e["host"] == "localhost" for e in events)
    assert summary["status"] == "successful"
    assert summary["rc"] == 0
    assert summary["summary"] == [
        {"host": "localhost", "ok": 1, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0}
    ]
    assert isinstance(summary["duration_seconds"], float)


def test_a_failed_run_exits_with_its_rc_and_shows_in_the_history(cli: Cli) -> None:
    result = cli.run("run-playbook", "fail")
    assert result.returncode == 2
    assert "broken on purpose" in result.stdout
    assert "TASK [Breaks]" in result.stdout
    assert result.stderr.strip().endswith("failed (rc 2)")
    runs = json.loads(cli.ok("runs", "list", "--json"))
    assert [(r["playbook"], r["status"], r["rc"]) for r in runs] == [("fail", "failed", 2)]
    shown = json.loads(cli.ok("runs", "show", str(runs[0]["id"]), "--json"))
    assert shown["summary"][0]["failed"] == 1
    assert any(e["task"] == "Breaks" and e["status"] == "failed" for e in shown["events"])
    table = cli.ok("runs", "show", str(runs[0]["id"]))
    assert "localhost: ok=1 changed=0 failed=1" in table
    cancel = cli.run("runs", "cancel", str(runs[0]["id"]))
    assert cancel.returncode == 1
    assert "already finished" in cancel.stderr


def test_check_mode_extra_vars_from_a_file(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "vars.yml").write_text("db_password: t0ps3cret-value\nhold_seconds: 0\n")
    result = cli.run(
        "run-playbook", "secret", "--check", "--extra-vars", f"@{tmp_path / 'vars.yml'}"
    )
    assert result.returncode == 0, result.stderr
    assert "t0ps3cret-value" not in result.stdout + result.stderr
    [run] = json.loads(cli.ok("runs", "list", "--json"))
    assert run["check"] is True
    assert run["extra_vars"] == {"db_password": "********", "hold_seconds": 0}


def test_an_extra_var_the_playbook_does_not_declare_is_refused(cli: Cli) -> None:
    result = cli.run("run-playbook", "ai-clis", "--check", "--extra-vars", "ai_cli_npm: /bin/sh")

    assert result.returncode == 1
    assert result.stderr == (
        "aiops: error: extra_vars: 'ai_cli_npm' is not an extra var of playbook 'ai-clis' "
        "(it takes: ai_cli_tools (list[str]))\n"
    )
    assert json.loads(cli.ok("runs", "list", "--json")) == []


def test_playbooks_list_shows_the_allowlist_with_descriptions(cli: Cli) -> None:
    playbooks = json.loads(cli.ok("playbooks", "list", "--json"))
    assert [p["name"] for p in playbooks] == TEST_PLAYBOOKS.split(",")
    assert playbooks[0]["description"].startswith("Connectivity check")
    table = cli.ok("playbooks", "list").splitlines()
    assert table[0].split() == ["NAME", "DESCRIPTION"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run-playbook", "../ping"], "a name, never a path"),
        (["run-playbook", "/etc/ping"], "a name, never a path"),
        (["run-playbook", "ping.yml"], "leave out the extension"),
        (["run-playbook", "deploy"], "not on the allowlist"),
        (["run-playbook", "ping", "--inventory", "nope"], "not a known inventory"),
        (["run-playbook", "ping", "--extra-vars", "{bad: ["], "neither JSON nor YAML"),
        (["run-playbook", "ping", "--extra-vars", "[1]"], "must be a mapping"),
        (["run-playbook", "ping", "--limit", "-x"], "not a host pattern"),
        (["runs", "show", "999"], "run 999 does not exist"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_stored(
    cli: Cli, args: list[str], message: str
) -> None:
    result = cli.run(*args)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("aiops: error: ")
    assert message in result.stderr
    assert json.loads(cli.ok("runs", "list", "--json")) == []


def test_ansible_runner_is_imported_only_when_a_run_starts() -> None:
    import subprocess
    import sys

    code = (
        "import sys, aiops.entrypoints.cli\n"
        "from aiops.container import bootstrap\n"
        "c = bootstrap()\n"
        "c.list_playbooks()\n"
        "print('ansible_runner' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_ctrl_c_cancels_the_run_it_waits_for(cli: Cli) -> None:
    import signal
    import subprocess
    import time

    from tests.integration.test_cli import AIOPS

    child = subprocess.Popen(
        [AIOPS, "run-playbook", "sleep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cli.home,
        env=cli.env,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if "TASK [Sleep]" in line:
            break
    time.sleep(0.5)
    began = time.monotonic()
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=30)
    assert time.monotonic() - began < 10
    assert child.returncode == 130, stderr
    assert "the run was cancelled" in stderr
    [run] = json.loads(cli.ok("runs", "list", "--json"))
    assert run["status"] == "cancelled"
