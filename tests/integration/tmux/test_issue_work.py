"""Work on an issue end to end, in process, with real git, tmux and a throwaway Linux
account: StartIssueWork launches the agent in the issue's worktree, whose AGENTS.override.md
holds aiops's instructions and is neither untracked nor staged by `git add -A` (the
repository's info/exclude, written by the account), and puts the issue in progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops import bootstrap
from aiops.config import load_settings
from aiops.domain.model.trackers import TriageStatus
from aiops.domain.usecases.issue_work import StartIssueWork, StartIssueWorkCommand
from aiops.ports.linux_users import LinuxAccount
from tests.integration.git.conftest import Git
from tests.integration.test_cli import Cli
from tests.integration.tmux.conftest import needs_root
from tests.integration.tmux.test_cli_sessions import cli, wait_for_pane
from tests.integration.tmux.test_worktree_sessions import two_issues

pytestmark = needs_root
__all__ = ["cli"]


def test_work_on_an_issue_keeps_the_agents_file_out_of_git_and_tells_the_agent_how_to_work(
    cli: Cli, place: Path, account: LinuxAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_issues(tmp_path / "instance")
    for key, value in cli.env.items():
        if key.startswith("AIOPS_"):
            monkeypatch.setenv(key, value)
    app = bootstrap(load_settings())
    start = StartIssueWork(uow=app.uow, clock=app.clock(), launch=app.launch_session())

    started = start(StartIssueWorkCommand(issue_id=1, tool="codex", user_email="ana@example.com"))
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    session = started.session
    screen = wait_for_pane(socket, f"={session.tmux_session}:={session.tmux_window}", "ready")

    tree = place / "home" / account.name / "worktrees" / "web" / "aiops-gh-12-fix-login"
    assert started.worktree.path == str(tree)
    assert f"cwd={tree}" in screen
    git = Git(tree, account)
    agents = (tree / "AGENTS.override.md").read_text()
    assert "Work on the branch `aiops/gh-12-fix-login`" in agents
    assert "e.g. `Fix the login redirect (#12)`" in agents
    assert git.porcelain() == ""  # AGENTS.override.md is not untracked
    (tree / "fix.py").write_text("print('fixed')\n")
    git("add", "-A")
    assert git("diff", "--cached", "--name-only").split() == ["fix.py"]
    exclude = place / "home" / account.name / "workspace" / "web" / ".git" / "info" / "exclude"
    assert exclude.read_text().splitlines()[-1] == "/AGENTS.override.md"
    assert exclude.stat().st_uid == account.uid
    with app.uow() as uow:
        issue = uow.issues.get(1)
        ana = uow.users.get_by_email("ana@example.com")
    assert issue is not None
    assert ana is not None
    assert (issue.triage.status, issue.triage.owner_id) == (TriageStatus.IN_PROGRESS, ana.id)
    app.shutdown_resources()
