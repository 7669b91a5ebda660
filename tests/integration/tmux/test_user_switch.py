"""Windows run as the user's Linux account, with its identity and none of aiops's environment;
secrets reach the tool without passing through any command line; what may not run is refused."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from aiops.adapters.tmux import LibtmuxSessions
from aiops.adapters.user_switch import (
    DEFAULT_PATH,
    cannot_regain_root,
    run_as,
    switch_needed,
)
from aiops.domain.model.sessions import SessionRefused
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import WindowSpec
from tests.integration.tmux.conftest import CmdlineWatch, needs_root, wait_for, wait_for_output

Spec = Callable[..., WindowSpec]
AIOPS_CANARY = "aiops-own-secret-CANARY-7d1e2f"
SECRET_CANARY = "sk-secret-CANARY-0b5c9a'$(x)\"\\"


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode()
    return dict(entry.split("=", 1) for entry in raw.split("\0") if entry)


def runs(pid: int, program: str) -> bool:
    """Whether the pane's process has become `program`: until `env` in front of it has exec'd
    it, the process still has tmux's environment, not the window's."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == program.encode()


@needs_root
def test_the_tool_runs_as_the_account_with_its_home_and_credentials_and_nothing_of_aiops(
    sessions: LibtmuxSessions,
    spec: Spec,
    fake_cli: Path,
    account: LinuxAccount,
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIOPS_SECRET_KEY", AIOPS_CANARY)
    credentials = Path(account.home) / ".codex" / "auth.json"
    credentials.parent.mkdir()
    credentials.write_text("{}")
    os.chown(credentials.parent, account.uid, account.gid)
    os.chown(credentials, account.uid, account.gid)

    launched = sessions.launch(spec(argv=(str(fake_cli),), login_shell=True))

    screen = wait_for_output(sessions, launched.window, "ready")
    assert f"uid={account.uid}" in screen
    assert f"home={account.home} user={account.name} logname={account.name}" in screen
    assert "credentials=found" in screen
    assert f"cwd={workspace}" in screen
    assert "AIOPS_SECRET_KEY" not in screen
    assert launched.window.pane_pid is not None
    owner = subprocess.run(
        ["ps", "-o", "user=", "-p", str(launched.window.pane_pid)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert owner.stdout.strip() == account.name
    env = environ(launched.window.pane_pid)
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == (account.home, account.name, account.name)
    assert not [name for name in env if name.startswith("AIOPS_SECRET")]
    assert AIOPS_CANARY not in "\n".join(env.values())


@needs_root
def test_the_tmux_server_runs_as_the_account(
    sessions: LibtmuxSessions, spec: Spec, socket: str, account: LinuxAccount
) -> None:
    sessions.launch(spec())

    pid = subprocess.run(
        ["tmux", "-S", socket, "display-message", "-p", "#{pid}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert os.stat(f"/proc/{pid}").st_uid == account.uid


def test_a_window_gets_its_own_env_and_path_not_aiops_path(
    sessions: LibtmuxSessions, spec: Spec, fake_cli: Path, socket: str
) -> None:
    path = f"{fake_cli.parent}:{DEFAULT_PATH}"
    launched = sessions.launch(spec(argv=("codex",), env={"PATH": path, "ONLY_HERE": "1"}))
    other = sessions.launch(spec(window="bob-codex"))

    wait_for_output(sessions, launched.window, "ready")
    assert launched.window.pane_pid is not None
    assert other.window.pane_pid is not None
    env = environ(launched.window.pane_pid)
    assert env["PATH"] == path
    assert env["ONLY_HERE"] == "1"
    pid = other.window.pane_pid
    wait_for(lambda: runs(pid, "sleep"), "the other window's command")
    other_env = environ(pid)
    assert other_env["PATH"] == DEFAULT_PATH  # not aiops's own PATH, which tmux would pass on
    assert "ONLY_HERE" not in other_env


def test_a_secret_reaches_the_tool_but_no_command_line_and_no_other_window(
    sessions: LibtmuxSessions,
    spec: Spec,
    fake_cli: Path,
    socket: str,
    cmdline_watch: Callable[[str], CmdlineWatch],
) -> None:
    watch = cmdline_watch("CANARY-0b5c9a")
    path = f"{fake_cli.parent}:{DEFAULT_PATH}"
    secret = {"OPENAI_API_KEY": SECRET_CANARY}

    first = sessions.launch(spec(argv=("codex",), env={"PATH": path}, secret_env=secret))
    # A new session (and server) above, a new window in it here, login shell or not.
    second = sessions.launch(
        spec(window="alice-gemini", argv=(str(fake_cli),), login_shell=True, secret_env=secret)
    )
    plain = sessions.launch(spec(window="bob-codex"))
    wait_for_output(sessions, first.window, "ready")
    wait_for(lambda: watch.rounds >= 3, "the watcher to go round")
    watch.stop()

    assert watch.hits == []
    for launched in (first, second):
        pid = launched.window.pane_pid
        assert pid is not None
        wait_for(lambda p=pid: "OPENAI_API_KEY" in environ(p), "the secret in the tool's env")
        assert environ(pid)["OPENAI_API_KEY"] == SECRET_CANARY
    plain_pid = plain.window.pane_pid
    assert plain_pid is not None
    wait_for(lambda: runs(plain_pid, "sleep"), "the plain window's command")
    assert "OPENAI_API_KEY" not in environ(plain_pid)
    shown = subprocess.run(
        [
            "tmux",
            "-S",
            socket,
            "show-environment",
            "-g",
            ";",
            "show-environment",
            "-t",
            "=acme-web-p1",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CANARY-0b5c9a" not in shown
    assert [p.name for p in Path(socket).parent.iterdir()] == ["tmux"]  # the secrets files are gone


@needs_root
def test_a_process_started_as_the_account_has_its_groups_and_a_clean_environment(
    account: LinuxAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOPS_SECRET_KEY", AIOPS_CANARY)

    ids = run_as(
        account, ["sh", "-c", "id -u; id -g; id -G; env"], env={"EXTRA": "1", "HOME": "/x"}
    )

    uid, gid, groups, *env = ids.stdout.decode().splitlines()
    assert (int(uid), int(gid)) == (account.uid, account.gid)
    assert sorted(map(int, groups.split())) == sorted(
        set(os.getgrouplist(account.name, account.gid))
    )
    names = {line.split("=", 1)[0] for line in env}
    assert names <= {
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "PATH",
        "TERM",
        "LANG",
        "EXTRA",
        "PWD",
        "SHLVL",
        "_",
    }
    assert f"HOME={account.home}" in env  # the spec cannot move the account's home
    assert AIOPS_CANARY not in ids.stdout.decode()


def test_a_root_account_is_refused(
    sessions: LibtmuxSessions, spec: Spec, account: LinuxAccount
) -> None:
    root = attrs.evolve(account, name="root", uid=0, gid=0, home="/root")

    with pytest.raises(SessionRefused, match="root"):
        sessions.launch(spec(account=root))
    with pytest.raises(SessionRefused, match="uid 0"):
        switch_needed(root, euid=0)


def test_switching_to_another_account_without_root_is_refused(account: LinuxAccount) -> None:
    other = attrs.evolve(account, uid=account.uid + 1)

    with pytest.raises(SessionRefused, match="not root"):
        switch_needed(other, euid=account.uid)
    assert switch_needed(account, euid=account.uid) is False
    assert switch_needed(account, euid=0) is True


@needs_root
def test_a_child_that_could_become_root_again_is_aborted_before_exec() -> None:
    with pytest.raises(subprocess.SubprocessError):
        subprocess.run(["true"], preexec_fn=cannot_regain_root, check=False)


@needs_root
def test_a_socket_folder_of_another_user_is_refused(
    sessions: LibtmuxSessions, spec: Spec, place: Path
) -> None:
    foreign = place / "foreign"
    foreign.mkdir(mode=0o700)

    with pytest.raises(SessionRefused, match="does not belong"):
        sessions.launch(spec(socket=str(foreign / "tmux")))


def test_a_secrets_file_no_window_read_is_removed_by_a_later_launch(
    sessions: LibtmuxSessions, spec: Spec, socket: str
) -> None:
    sessions.launch(spec())
    stale = Path(socket).parent / ".aiops-env-0123456789abcdef"
    stale.write_text("export OPENAI_API_KEY='x'\n")
    os.utime(stale, (time.time() - 600, time.time() - 600))
    fresh = Path(socket).parent / ".aiops-env-fedcba9876543210"
    fresh.write_text("export OPENAI_API_KEY='y'\n")

    sessions.launch(spec(window="bob-codex"))

    assert not stale.exists()
    assert fresh.exists()  # a window may be about to read it
