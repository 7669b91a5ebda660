"""Two agents on two issues of one project, at once, each in its own worktree: `aiops session
launch --issue-id` end to end, with a real tmux server started as a throwaway Linux account and
git run as that account."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from aiops import bootstrap
from aiops.config import load_settings
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.ports.linux_users import LinuxAccount
from tests.integration.git.conftest import Git
from tests.integration.test_cli import Cli
from tests.integration.tmux.conftest import needs_root
from tests.integration.tmux.test_cli_sessions import cli, wait_for_pane

pytestmark = needs_root
__all__ = ["cli"]


def two_issues(instance: Path) -> None:
    app = bootstrap(load_settings(instance_path=instance))
    connection = app.add_tracker()(
        AddTrackerCommand(project_id=1, provider="github", base_url="https://api.github.com",
                          key="acme/web", token="a-token")
    )  # fmt: skip
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.uow() as uow:
        uow.issues.add_many(
            [
                Issue(
                    connection_id=connection.id or 0, project_id=1, provider=Provider.GITHUB,
                    remote=RemoteIssue(
                        external_id=str(n), number=f"#{n}", title=title, body="",
                        state=IssueState.OPEN, created_at=moment, updated_at=moment,
                    ),
                )
                for n, title in ((12, "Fix login"), (13, "Slow search"))
            ]
        )  # fmt: skip
        uow.commit()
    app.shutdown_resources()


def test_two_agents_on_two_issues_work_in_two_trees_at_once(
    cli: Cli, place: Path, account: LinuxAccount, tmp_path: Path
) -> None:
    two_issues(tmp_path / "instance")
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    launch = ("session", "launch", "--user-email", "ana@example.com", "--project-id", "1",
              "--tool", "codex", "--json")  # fmt: skip

    first = json.loads(cli.ok(*launch, "--issue-id", "1"))
    second = json.loads(cli.ok(*launch, "--issue-id", "2"))
    screens = [
        wait_for_pane(socket, f"={s['tmux_session']}:={s['tmux_window']}", "ready")
        for s in (first, second)
    ]

    trees = place / "home" / account.name / "worktrees" / "web"
    assert f"cwd={trees / 'aiops-gh-12-fix-login'}" in screens[0]
    assert f"cwd={trees / 'aiops-gh-13-slow-search'}" in screens[1]
    assert {s["tmux_window"] for s in cli.json("session", "list")} == {
        first["tmux_window"], second["tmux_window"],
    }  # fmt: skip
    for tree, branch, title in (
        ("aiops-gh-12-fix-login", "aiops/gh-12-fix-login", "Fix login"),
        ("aiops-gh-13-slow-search", "aiops/gh-13-slow-search", "Slow search"),
    ):
        assert (trees / tree).stat().st_uid == account.uid
        assert Git(trees / tree, account)("branch", "--show-current").strip() == branch
        assert f"Title: {title}" in (trees / tree / "AGENTS.override.md").read_text()
    main = place / "home" / account.name / "workspace" / "web"
    assert not (main / "AGENTS.override.md").exists()
    assert Git(main, account)("branch", "--show-current").strip() == "main"
    listed = cli.json("worktree", "list")
    assert sorted(w["worktree"]["branch"] for w in listed) == [  # type: ignore[index]
        "aiops/gh-12-fix-login", "aiops/gh-13-slow-search",
    ]  # fmt: skip
