"""`aiops session ...` and `aiops tmux resync` end to end: subprocesses of the CLI, a real tmux
server started as a throwaway Linux account, the fake AI CLI reading its world back through the
pane, credentials mirrored into the account's HOME."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from aiops.ports.linux_users import LinuxAccount
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.test_cli import AIOPS, Cli
from tests.integration.tmux.conftest import CmdlineWatch, needs_root, tmux_as_owner

pytestmark = needs_root
AUTH = {"OPENAI_API_KEY": "sk-canary-cli-sessions-1"}


def pane(socket: Path, target: str) -> str:
    return tmux_as_owner(socket, "capture-pane", "-p", "-J", "-t", target).stdout


def wait_for_pane(socket: Path, target: str, text: str) -> str:
    deadline = time.monotonic() + 15
    while text not in (screen := pane(socket, target)):
        assert time.monotonic() < deadline, f"{text!r} never showed in {target}:\n{screen}"
        time.sleep(0.05)
    return screen


@pytest.fixture
def cli(
    tmp_path: Path, sqlite_template: Path, place: Path, account: LinuxAccount, fake_cli: Path,
    tmpdir_1777: Path,
) -> Cli:  # fmt: skip
    cli = Cli(
        tmp_path,
        AIOPS_WORKSPACE_ROOT=str(place / "home"),
        AIOPS_TMUX_TMPDIR=str(tmpdir_1777),
        AIOPS_TMUX_SOCKET_NAME="aiops-test",
        AIOPS_LINUX_USER_MAPPING=json.dumps({"ana@example.com": account.name}),
        AIOPS_AGENT_COMMANDS=json.dumps({"codex": [str(fake_cli)], "claude": [str(fake_cli)]}),
        AIOPS_SSH_HOST="ops.example.com",
    )
    (place / "home").mkdir(mode=0o755)
    remote = make_remote(place / "remote")  # git clones it as the account, which trusts it
    trusting(account, remote)
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
           "--repo-url", str(remote))  # fmt: skip
    cli.ok("user", "create", "--email", "ana@example.com", "--name", "Ana")
    cli.ok("member", "add", "--tenant", "acme", "--email", "ana@example.com", "--role", "member")
    cli.ok("credentials", "set", "--user-email", "ana@example.com", "--tool", "codex", "--stdin",
           stdin=json.dumps(AUTH))  # fmt: skip
    return cli


def test_launch_list_relaunch_resync_and_stop(cli: Cli, place: Path, account: LinuxAccount) -> None:
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    launch = ("session", "launch", "--user-email", "ana@example.com", "--project-id", "1",
              "--tool", "codex")  # fmt: skip

    launched = json.loads(cli.ok(*launch, "--json"))
    target = f"={launched['tmux_session']}:={launched['tmux_window']}"
    screen = wait_for_pane(socket, target, "ready")
    again = cli.ok(*launch)
    listed = cli.json("session", "list")
    assert tmux_as_owner(socket, "kill-window", "-t", target).returncode == 0
    planned = cli.ok("tmux", "resync", "--dry-run")
    resynced = cli.ok("tmux", "resync")
    recreated = wait_for_pane(socket, target, "ready")
    relisted = cli.json("session", "list")
    stopped = cli.ok("session", "stop", str(relisted[0]["id"]))
    after = cli.json("session", "list")
    history = cli.json("session", "events", str(relisted[0]["id"]))
    history_table = cli.ok("session", "events", str(relisted[0]["id"]))

    workspace = place / "home" / account.name / "workspace" / "web"
    assert (launched["tmux_session"], launched["tmux_window"]) == ("web-p1", "ana-codex")
    assert launched["linux_user"] == account.name
    assert (
        launched["attach"] == f"ssh ops.example.com -t tmux -S {socket} attach -t web-p1:ana-codex"
    )
    assert f"cwd={workspace}" in screen
    assert f"uid={account.uid}" in screen
    assert f"home={account.home} user={account.name}" in screen
    assert "credentials=found" in screen
    assert "CODEX_HOME" in screen
    # Nothing of aiops's own environment; only what tells the hook command who it is (issue 18)
    leaked = set(re.findall(r"AIOPS_[A-Z_]+", screen.split("env=", 1)[1]))
    assert leaked <= {"AIOPS_SESSION_ID", "AIOPS_SESSION_TOKEN", "AIOPS_EVENT_SOCKET", "AIOPS_URL"}
    assert "AIOPS_SESSION_ID" in leaked
    assert "sk-canary" not in screen
    assert "already running, focused" in again
    assert [(s["tmux_window"], s["linux_user"]) for s in listed] == [("ana-codex", account.name)]
    assert listed[0]["status"] in ("working", "waiting")
    assert listed[0]["status_source"] == "pane"
    assert listed[0]["status_since"] >= listed[0]["started_at"]
    assert "would recreate web-p1:ana-codex" in planned
    assert "recreate web-p1:ana-codex" in resynced
    assert "ready" in recreated
    assert len(relisted) == 1
    assert relisted[0]["id"] != listed[0]["id"]
    assert "stopped (web-p1:ana-codex)" in stopped
    assert after == []
    assert history[0]["status"] == "exited"
    assert history[0]["source"] == "pane"
    assert "exited" in history_table
    deadline = time.monotonic() + 5  # the stopped tool's process goes with its window
    while subprocess.run(["pgrep", "-u", account.name, "-f", "sleep 600"], check=False,
                         capture_output=True).returncode == 0:  # fmt: skip
        assert time.monotonic() < deadline, "the stopped session's tool is still running"
        time.sleep(0.05)


def test_a_claude_key_reaches_only_the_tools_environment(
    cli: Cli, place: Path, account: LinuxAccount, cmdline_watch: Callable[[str], CmdlineWatch]
) -> None:
    key = "sk-ant-oat01-canary-" + "7" * 24
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    cli.ok("credentials", "set", "--user-email", "ana@example.com", "--tool", "claude",
           "--stdin", stdin=key + "\n")  # fmt: skip
    watch = cmdline_watch(key)

    launched = cli.run("session", "launch", "--user-email", "ana@example.com",
                       "--project-id", "1", "--tool", "claude")  # fmt: skip
    screen = wait_for_pane(socket, "=web-p1:=ana-claude", "ready")
    listed = cli.run("session", "list", "--json")
    watch.stop()

    assert launched.returncode == 0, launched.stderr
    assert "CLAUDE_CODE_OAUTH_TOKEN" in screen.split("env=", 1)[1]
    assert key not in screen
    assert key not in launched.stdout + launched.stderr + listed.stdout + listed.stderr
    assert watch.rounds > 0
    assert watch.hits == []
    home = Path(account.home)
    assert not any(key in p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())


# `aiops session attach`: the CLI in a pty (an operator's terminal), relaying to a tmux client
# of the window started as the session's account.
LAUNCH = ("session", "launch", "--user-email", "ana@example.com", "--project-id", "1",
          "--tool", "codex", "--json")  # fmt: skip


def read_until(fd: int, text: bytes, seen: bytearray, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"{text!r} never showed: {bytes(seen[-800:])!r}"
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the command ended
                chunk = b""
            assert chunk, f"the command ended before {text!r}: {bytes(seen[-800:])!r}"
            seen += chunk


def run_in_a_pty(cli: Cli, *args: str) -> tuple[int, int]:
    """The command with a terminal of its own (80x24), as an operator runs it."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cli.home)
        os.execve(AIOPS, [AIOPS, *args], cli.env)  # noqa: S606 - an argv list
    return pid, fd


def test_attach_relays_keys_and_screen_until_the_user_detaches(
    cli: Cli, place: Path, account: LinuxAccount
) -> None:
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    launched = json.loads(cli.ok(*LAUNCH))
    target = f"={launched['tmux_session']}:={launched['tmux_window']}"
    wait_for_pane(socket, target, "ready")
    # Keys a program writes come faster than a person types: within assume-paste-time of
    # each other tmux takes them for a paste, and would not see its prefix among them.
    tmux_as_owner(socket, "set-option", "-g", "assume-paste-time", "0")

    pid, fd = run_in_a_pty(cli, "session", "attach", str(launched["id"]))
    seen = bytearray()
    read_until(fd, b"ready", seen)
    attached = tmux_as_owner(socket, "list-clients", "-F", "#{client_pid} #{client_width}")
    os.write(fd, b"typed-k7q")
    wait_for_pane(socket, target, "typed-k7q")  # the pane's own tty echoes it
    os.write(fd, b"\x02d")
    read_until(fd, b"detached", seen)
    _, status = os.waitpid(pid, 0)
    audit = cli.json("audit", "list")
    os.close(fd)

    assert os.waitstatus_to_exitcode(status) == 0
    (client,) = attached.stdout.splitlines()
    client_pid, width = client.split()
    assert width == "80"  # pty.fork's terminal: the CLI gave the client its size
    assert (
        not Path(f"/proc/{client_pid}").exists()
        or "Z" in Path(f"/proc/{client_pid}/stat").read_text()
    )
    windows = tmux_as_owner(socket, "list-windows", "-a", "-F", "#{window_name}").stdout.split()
    assert windows == [launched["tmux_window"]]
    actions = [event["action"] for event in audit]
    assert any("attach" in action for action in actions), actions
    assert any("detach" in action for action in actions), actions


def test_attach_to_a_session_that_is_not_there_is_one_line_and_exit_1(cli: Cli) -> None:
    result = cli.run("session", "attach", "99")

    assert result.returncode == 1
    assert result.stderr.startswith("aiops: error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_attach_to_a_window_that_is_gone_is_one_line_and_exit_1(
    cli: Cli, place: Path, account: LinuxAccount
) -> None:
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    launched = json.loads(cli.ok(*LAUNCH))
    target = f"={launched['tmux_session']}:={launched['tmux_window']}"
    assert tmux_as_owner(socket, "kill-window", "-t", target).returncode == 0

    result = cli.run("session", "attach", str(launched["id"]))

    assert result.returncode == 1
    assert result.stderr.startswith("aiops: error:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_local_terminal_is_put_back_after_the_attach(
    cli: Cli, place: Path, account: LinuxAccount
) -> None:
    socket = place / "tmux" / f"tmux-{account.uid}" / "aiops-test"
    launched = json.loads(cli.ok(*LAUNCH))
    target = f"={launched['tmux_session']}:={launched['tmux_window']}"
    wait_for_pane(socket, target, "ready")
    tmux_as_owner(socket, "set-option", "-g", "assume-paste-time", "0")
    pid, fd = run_in_a_pty(cli, "session", "attach", str(launched["id"]))
    seen = bytearray()
    read_until(fd, b"ready", seen)
    before_detach = termios.tcgetattr(fd)

    tmux_as_owner(socket, "kill-window", "-t", target)  # the window goes: the client ends
    _, status = os.waitpid(pid, 0)
    after = termios.tcgetattr(fd)
    os.close(fd)

    assert os.waitstatus_to_exitcode(status) == 0
    assert before_detach[3] & termios.ICANON == 0  # raw while attached
    assert after[3] & termios.ICANON  # cooked again
    assert after[3] & termios.ECHO
