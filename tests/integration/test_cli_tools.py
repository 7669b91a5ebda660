"""`aiops cli-tools status | install` end to end, in subprocesses, with a fake npm (AIOPS_NPM):
npm's output printed as it runs, its exit code passed on, the outcome in the audit trail."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.fake_npm import FakeNpm
from tests.integration.test_cli import AIOPS, Cli


@pytest.fixture
def npm(tmp_path: Path) -> FakeNpm:
    return FakeNpm(tmp_path / "npm")


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path, npm: FakeNpm) -> Cli:
    cli = Cli(tmp_path, AIOPS_NPM=str(npm.path))
    cli.start_upgraded(sqlite_template)
    return cli


def test_status_shows_each_tool_its_package_and_version(cli: Cli, npm: FakeNpm) -> None:
    npm.install_state({"@google/gemini-cli": "0.9.0"})

    table = cli.ok("cli-tools", "status")
    rows = cli.json("cli-tools", "status")

    lines = table.splitlines()
    assert lines[0].split() == ["TOOL", "PACKAGE", "INSTALLED", "PATH"]
    assert lines[1].split()[:3] == ["codex", "@openai/codex", "-"]
    assert lines[2].split()[:3] == ["gemini", "@google/gemini-cli", "0.9.0"]
    assert [(r["tool"], r["package"], r["installed"]) for r in rows] == [
        ("codex", "@openai/codex", None),
        ("gemini", "@google/gemini-cli", "0.9.0"),
        ("claude", "@anthropic-ai/claude-code", None),
    ]
    assert npm.calls == [["ls", "-g", "--depth=0", "--json"]] * 2


def test_status_without_npm_says_so_and_succeeds(tmp_path: Path) -> None:
    cli = Cli(tmp_path, AIOPS_NPM=str(tmp_path / "missing-npm"))

    result = cli.run("cli-tools", "status")

    assert result.returncode == 0, result.stderr
    assert "npm not found" in result.stderr
    assert [line.split()[2] for line in result.stdout.splitlines()[1:]] == ["-", "-", "-"]


def test_install_prints_npms_output_as_it_runs_and_audits_the_outcome(
    cli: Cli, npm: FakeNpm
) -> None:
    npm.configure(lines=4, sleep=0.3, version="0.42.0")

    with subprocess.Popen(
        [AIOPS, "cli-tools", "install", "codex"],
        cwd=cli.home,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        finished_at_first_line = npm.finished
        rest, errors = process.communicate(timeout=60)

    assert first == "line 1 of @openai/codex@latest\n"
    assert not finished_at_first_line
    assert process.returncode == 0, errors
    assert "line 4 of @openai/codex@latest" in rest
    assert "codex (@openai/codex): 0.42.0" in errors
    assert npm.calls[0] == ["install", "-g", "@openai/codex@latest"]
    [event] = cli.json("audit", "list", "--action", "cli_tool.installed")
    assert event["target"] == "cli_tool:codex"
    assert event["detail"] == {
        "tool": "codex",
        "package": "@openai/codex",
        "returncode": 0,
        "version": "0.42.0",
        "timed_out": False,
    }
    assert "line 1" not in json.dumps(event)


def test_install_exits_with_npms_exit_code(cli: Cli, npm: FakeNpm) -> None:
    npm.configure(exit=7)

    result = cli.run("cli-tools", "install", "claude")

    assert result.returncode == 7
    assert "line 1 of @anthropic-ai/claude-code@latest" in result.stdout
    assert npm.calls[0] == ["install", "-g", "@anthropic-ai/claude-code@latest"]


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ("shell", "shell is not installed through npm"),
        ("left-pad", "'left-pad' is not one of"),
        ("--registry=http://evil", "is not one of"),
    ],
)
def test_install_refuses_anything_but_the_three_tools(
    cli: Cli, npm: FakeNpm, tool: str, message: str
) -> None:
    result = cli.run("cli-tools", "install", "--", tool)

    assert result.returncode == 1
    assert message in result.stderr
    assert npm.calls == []
