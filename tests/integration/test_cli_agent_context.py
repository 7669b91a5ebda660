"""`aiops agent-context write | append | clear` end to end, in a real git repository."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aiops import bootstrap
from aiops.config import load_settings
from aiops.domain.model.agent_context import END, START
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from aiops.domain.usecases.trackers import AddTrackerCommand
from tests.integration.test_cli import AIOPS, Cli

REPO_URL = "https://git.example.com/acme/web.git"


def run(
    cli: Cli, cwd: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AIOPS, "agent-context", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=cli.env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "web"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin", REPO_URL], check=True)
    (path / "src").mkdir()
    (path / "AGENTS.override.md").write_bytes(b"# Mine\r\nkeep \xff me")
    return path


def test_write_append_and_clear_from_a_subfolder_without_a_database(
    tmp_path: Path, repo: Path
) -> None:
    cli = Cli(tmp_path)
    file = repo / "AGENTS.override.md"

    written = run(cli, repo / "src", "write", "--issue", "OPS-7", "--title", "Fix login", stdin="a")
    appended = run(cli, repo / "src", "append", "--issue", "OPS-7", stdin="b\n")
    text = file.read_bytes()
    cleared = run(cli, repo, "clear")

    assert written.returncode == 0, written.stderr
    assert f"wrote {file}" in written.stdout
    assert "could not look issue OPS-7 up" in written.stderr
    assert not (tmp_path / "instance").exists()  # no empty database was made
    assert appended.returncode == 0, appended.stderr
    assert text.startswith(b"# Mine\r\nkeep \xff me\r\n\r\n" + START.encode() + b"\r\n")
    assert b"# Issue OPS-7\r\n" in text
    assert b"Title: Fix login\r\n" in text
    assert text.index(b"\r\na\r\n") < text.index(b"\r\nb\r\n")
    assert cleared.returncode == 0, cleared.stderr
    assert file.read_bytes() == b"# Mine\r\nkeep \xff me\r\n\r\n" + (
        f"{START}\r\n{END}\r\n".encode()
    )


def test_workspace_option_and_refusals(tmp_path: Path, repo: Path) -> None:
    cli = Cli(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    given = run(cli, elsewhere, "write", "--issue", "7", "--title", "T", "--workspace", str(repo))
    outside = run(cli, elsewhere, "clear")
    no_title = run(cli, repo, "write", "--issue", "7")
    bad_title = run(cli, repo, "write", "--issue", "7", "--title", " ")
    nothing = run(cli, repo, "append", "--issue", "7", stdin="")

    assert given.returncode == 0, given.stderr
    assert "Title: T\n" in (repo / "AGENTS.override.md").read_text(errors="replace")
    assert outside.returncode == 1
    assert outside.stderr == (
        "aiops: error: not inside a git workspace: cd into one or pass --workspace PATH\n"
    )
    assert no_title.returncode == 2
    assert bad_title.returncode == 1
    assert bad_title.stderr.count("\n") == 1
    assert "title: must be" in bad_title.stderr
    assert nothing.returncode == 1
    assert "nothing to append" in nothing.stderr


def test_a_workspace_reached_through_a_symlink_of_ones_own_is_written_as_oneself(
    tmp_path: Path, repo: Path
) -> None:
    cli = Cli(tmp_path)
    link = tmp_path / "ws"
    link.symlink_to(repo)

    result = run(cli, tmp_path, "write", "--issue", "7", "--title", "T", "--workspace", str(link))

    assert result.returncode == 0, result.stderr
    assert "Title: T\n" in (repo / "AGENTS.override.md").read_text(errors="replace")
    assert (repo / "AGENTS.override.md").stat().st_uid == os.geteuid()


def test_a_synced_issue_is_looked_up_in_the_database(tmp_path: Path, repo: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("db", "upgrade")
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok(
        "project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
        "--repo-url", REPO_URL,
    )  # fmt: skip
    app = bootstrap(load_settings(instance_path=tmp_path / "instance"))
    connection = app.add_tracker()(
        AddTrackerCommand(
            project_id=1, provider="jira", base_url="https://jira.example.com", key="OPS",
            token="a-token",
        )
    )  # fmt: skip
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.uow() as uow:
        uow.issues.add_many(
            [
                Issue(
                    connection_id=connection.id or 0,
                    project_id=1,
                    provider=Provider.JIRA,
                    remote=RemoteIssue(
                        external_id="10007", number="OPS-7", title="Login fails",
                        body="Stack trace here", state=IssueState.OPEN, labels=("bug",),
                        url="https://jira.example.com/browse/OPS-7",
                        created_at=moment, updated_at=moment,
                    ),
                )
            ]
        )  # fmt: skip
        uow.commit()
    app.shutdown_resources()

    by_number = run(cli, repo, "write", "--issue", "OPS-7", "--title", "Fix login", stdin="x")
    text = (repo / "AGENTS.override.md").read_text(errors="replace")
    by_id = run(cli, repo, "write", "--issue", "1", "--title", "Fix login")

    assert by_number.returncode == 0, by_number.stderr
    assert by_number.stderr == ""
    assert "Link: https://jira.example.com/browse/OPS-7" in text
    assert "Tracker: jira OPS-7" in text
    assert "Labels: bug" in text
    assert "Stack trace here" in text
    assert by_id.returncode == 0, by_id.stderr
    assert "Tracker: jira OPS-7" in (repo / "AGENTS.override.md").read_text(errors="replace")
