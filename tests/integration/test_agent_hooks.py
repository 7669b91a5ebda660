"""LauncherAgentHooks against the real launcher, as a throwaway Linux account: the tools'
settings files in its HOME written by the account itself, merged into what it has, their modes
kept, and nothing written anywhere a planted symlink points to."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import aiops
from aiops.adapters.agent_hooks import LauncherAgentHooks
from aiops.adapters.launching import AccountLauncher
from aiops.domain.model.sessions import SessionRefused, Tool
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root, open_folder, throwaway_account
from tests.integration.event_receiver import Received, receiving_socket
from tests.integration.test_cli import AIOPS

pytestmark = needs_root
COMMAND = "/opt/aiops/bin/aiops"


@pytest.fixture(scope="module")
def account() -> Iterator[LinuxAccount]:
    with throwaway_account("aiops-h") as found:
        yield found


@pytest.fixture
def launcher() -> Iterator[AccountLauncher]:
    folder = open_folder("aiops-hooks-")
    yield launcher_as_root(folder)
    os.rmdir(folder)


@pytest.fixture
def home(account: LinuxAccount) -> Iterator[Path]:
    """The account's HOME, emptied of the tools' folders after each test."""
    path = Path(account.home)
    yield path
    for name in (".claude", ".codex", ".gemini", "elsewhere"):
        target = path / name
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            for child in target.iterdir():
                child.unlink()
            target.rmdir()


def hooks(launcher: AccountLauncher, gemini: str | None = "0.26.0") -> LauncherAgentHooks:
    return LauncherAgentHooks(launcher=launcher, command=COMMAND, gemini_version=lambda: gemini)


def as_account(account: LinuxAccount, path: Path, text: str, mode: int) -> None:
    """A file the user made themselves."""
    path.parent.mkdir(mode=0o755, exist_ok=True)
    os.chown(path.parent, account.uid, account.gid)
    path.write_text(text)
    os.chown(path, account.uid, account.gid)
    path.chmod(mode)


def test_claude_settings_are_made_by_the_account_in_a_private_folder(
    launcher: AccountLauncher, account: LinuxAccount, home: Path
) -> None:
    assert hooks(launcher).install(Tool.CLAUDE, account, f"{home}/.claude") is True

    settings = home / ".claude" / "settings.json"
    info, folder = settings.stat(), settings.parent.stat()
    assert (info.st_uid, info.st_gid) == (account.uid, account.gid)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert (folder.st_uid, stat.S_IMODE(folder.st_mode)) == (account.uid, 0o700)
    written = json.loads(settings.read_text())
    assert written["hooks"]["Stop"] == [
        {"hooks": [{"type": "command", "command": f"{COMMAND} agent-event --tool claude"}]}
    ]


def test_the_users_claude_settings_stay_and_the_file_keeps_its_mode(
    launcher: AccountLauncher, account: LinuxAccount, home: Path
) -> None:
    settings = home / ".claude" / "settings.json"
    theirs = {
        "model": "opus",
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]},
    }
    as_account(account, settings, json.dumps(theirs), 0o644)

    for _ in range(2):
        hooks(launcher).install(Tool.CLAUDE, account, str(settings.parent))

    written = json.loads(settings.read_text())
    assert written["model"] == "opus"
    assert written["hooks"]["Stop"][0] == theirs["hooks"]["Stop"][0]  # type: ignore[index]
    assert len(written["hooks"]["Stop"]) == 2
    assert stat.S_IMODE(settings.stat().st_mode) == 0o644
    assert stat.S_IMODE(settings.parent.stat().st_mode) == 0o755  # the user's folder, as it was
    assert settings.stat().st_uid == account.uid


def test_codex_notify_chains_the_users_own_and_keeps_their_comments(
    launcher: AccountLauncher, account: LinuxAccount, home: Path
) -> None:
    config = home / ".codex" / "config.toml"
    as_account(account, config, '# mine\nnotify = ["notify-send", "Codex"]\nmodel = "o3"\n', 0o600)

    assert hooks(launcher).install(Tool.CODEX, account, str(config.parent)) is True

    text = config.read_text()
    assert text.startswith("# mine\n")
    assert tomllib.loads(text) == {
        "notify": [COMMAND, "agent-event", "--tool", "codex", "--", "notify-send", "Codex"],
        "model": "o3",
    }


def test_gemini_gets_hooks_only_from_the_version_that_has_them(
    launcher: AccountLauncher, account: LinuxAccount, home: Path
) -> None:
    folder = f"{home}/.gemini"
    assert hooks(launcher, gemini="0.25.2").install(Tool.GEMINI, account, folder) is False
    assert hooks(launcher, gemini=None).install(Tool.GEMINI, account, folder) is False
    assert not (home / ".gemini").exists()

    assert hooks(launcher, gemini="0.30.0-preview.1").install(Tool.GEMINI, account, folder)

    written = json.loads((home / ".gemini" / "settings.json").read_text())
    assert written["hooks"]["BeforeAgent"][0]["hooks"][0]["name"] == "aiops-agent-event"


def test_a_shell_has_no_hooks(launcher: AccountLauncher, account: LinuxAccount, home: Path) -> None:
    assert hooks(launcher).install(Tool.SHELL, account, f"{home}/.config") is False


@pytest.mark.parametrize(("tool", "name", "text"), [
    (Tool.CLAUDE, ".claude/settings.json", '{"model": "opus",'),
    (Tool.CODEX, ".codex/config.toml", "model = = 'o3'\n"),
    (Tool.CLAUDE, ".claude/settings.json", "\xff\xfe not text"),
])  # fmt: skip
def test_a_file_the_tool_could_not_read_refuses_the_launch_and_stays_as_it_was(
    launcher: AccountLauncher, account: LinuxAccount, home: Path, tool: Tool, name: str, text: str
) -> None:
    path = home / name
    as_account(account, path, "", 0o600)
    path.write_bytes(text.encode("latin-1"))

    with pytest.raises(SessionRefused, match=f"{path} cannot be read as {tool.value}'s settings"):
        hooks(launcher).install(tool, account, str(path.parent))

    assert path.read_bytes() == text.encode("latin-1")


def test_a_settings_file_linked_to_roots_file_is_refused_and_roots_file_untouched(
    launcher: AccountLauncher, account: LinuxAccount, home: Path
) -> None:
    victim = Path(open_folder("aiops-victim-")) / "settings.json"
    victim.write_text('{"root": true}')
    victim.chmod(0o644)
    settings = home / ".claude" / "settings.json"
    as_account(account, settings, "{}", 0o600)
    settings.unlink()
    settings.symlink_to(victim)
    try:
        with pytest.raises(SessionRefused, match="cannot set up claude's hooks"):
            hooks(launcher).install(Tool.CLAUDE, account, str(settings.parent))
        assert victim.read_text() == '{"root": true}'
        assert settings.is_symlink()
    finally:
        victim.unlink()
        victim.parent.rmdir()


def test_a_config_folder_linked_to_roots_folder_gets_nothing_written(
    launcher: AccountLauncher, account: LinuxAccount, home: Path
) -> None:
    victim = open_folder("aiops-victim-")
    (home / ".codex").symlink_to(victim)
    try:
        with pytest.raises(SessionRefused, match="cannot set up codex's hooks"):
            hooks(launcher).install(Tool.CODEX, account, f"{home}/.codex")
        assert list(victim.iterdir()) == []
    finally:
        victim.rmdir()


# The fake tools (tests/fakes/agents/) read what the adapter wrote where the real tools read
# it, and call `aiops agent-event` as the real tools do: as the account, events reaching a
# receiving socket of the test's own.

AGENTS = Path(__file__).parents[1] / "fakes" / "agents"
SOURCE = Path(aiops.__file__).parents[1]  # this tree, ahead of the installed one


@pytest.fixture
def events(account: LinuxAccount) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """A unix socket the account may connect to, answering each line as the server does."""
    folder = open_folder("aiops-events-")
    received = Received()
    with receiving_socket(folder / "events.sock", received):
        yield folder / "events.sock", received.bodies
    shutil.rmtree(folder)


def run_as(account: LinuxAccount, tool: str, words: str, **env: str) -> str:
    done = subprocess.run(
        [str(AGENTS / tool)], input=words, capture_output=True, text=True, timeout=60,
        cwd=account.home, user=account.uid, group=account.gid, extra_groups=[], check=False,
        env={"HOME": account.home, "USER": account.name, "PATH": "/usr/bin:/bin",
             "PYTHONPATH": str(SOURCE), **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fake_claude_calls_the_hook_command_for_each_event_it_has(
    launcher: AccountLauncher, account: LinuxAccount, home: Path,
    events: tuple[Path, list[dict[str, Any]]],
) -> None:  # fmt: skip
    path, received = events
    LauncherAgentHooks(launcher=launcher, command=AIOPS).install(
        Tool.CLAUDE, account, f"{home}/.claude"
    )

    shown = run_as(account, "claude", "prompt\nnotify\nstop\nexit\n",
                   AIOPS_SESSION_ID="41", AIOPS_SESSION_TOKEN="t0k", AIOPS_EVENT_SOCKET=str(path))  # fmt: skip

    assert [w["event"] for w in received] == [
        "SessionStart", "UserPromptSubmit", "Notification", "Stop", "SessionEnd"
    ]  # fmt: skip
    assert {(w["session_id"], w["tool"], w["token"]) for w in received} == {(41, "claude", "t0k")}
    assert received[2]["detail"]["notification_type"] == "permission_prompt"
    assert shown.count("rc=0 out='' err=''") == 5  # nothing on stdout, nothing failed


def test_fake_codex_calls_aiops_then_the_users_own_notify(
    launcher: AccountLauncher, account: LinuxAccount, home: Path,
    events: tuple[Path, list[dict[str, Any]]],
) -> None:  # fmt: skip
    path, received = events
    mark = home / "notified"
    theirs = ["/bin/sh", "-c", f'printf %s "$1" > {mark}', "their-notifier"]
    as_account(account, home / ".codex" / "config.toml", f"notify = {json.dumps(theirs)}\n", 0o600)
    LauncherAgentHooks(launcher=launcher, command=AIOPS).install(
        Tool.CODEX, account, f"{home}/.codex"
    )

    shown = run_as(account, "codex", "turn\nexit\n", AIOPS_SESSION_ID="42",
                   AIOPS_SESSION_TOKEN="t0k", AIOPS_EVENT_SOCKET=str(path))  # fmt: skip

    assert "notify rc=0 err=''" in shown
    assert [(w["event"], w["session_id"]) for w in received] == [("agent-turn-complete", 42)]
    deadline = time.monotonic() + 5
    while not (mark.exists() and mark.read_text().endswith("}")):
        assert time.monotonic() < deadline, "the user's own notify never ran"
        time.sleep(0.02)
    assert json.loads(mark.read_text())["type"] == "agent-turn-complete"
    assert mark.stat().st_uid == account.uid
    mark.unlink()
