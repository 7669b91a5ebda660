"""Windows run as the user's Linux account, with its identity and none of aiops's environment;
secrets reach the tool without passing through any command line (the secrets file is the
account's, written and removed by it); what may not run is refused."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from aiops.adapters.launcher.switch import DEFAULT_PATH
from aiops.adapters.launching import AccountLauncher
from aiops.adapters.tmux import LauncherTmuxSessions, TmuxCommandFailed
from aiops.domain.model.sessions import SessionRefused
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.tmux import TmuxServer, WindowSpec
from tests.integration.tmux.conftest import (
    CmdlineWatch,
    needs_root,
    tmux_as_owner,
    wait_for,
    wait_for_output,
)

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
    sessions: LauncherTmuxSessions,
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

    screen = wait_for_output(sessions, account, launched.window, "ready")
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
    sessions: LauncherTmuxSessions, spec: Spec, socket: str, account: LinuxAccount
) -> None:
    sessions.launch(spec())

    pid = tmux_as_owner(socket, "display-message", "-p", "#{pid}").stdout.strip()
    assert os.stat(f"/proc/{pid}").st_uid == account.uid


def test_a_window_gets_its_own_env_and_path_not_aiops_path(
    sessions: LauncherTmuxSessions, spec: Spec, fake_cli: Path, account: LinuxAccount
) -> None:
    path = f"{fake_cli.parent}:{DEFAULT_PATH}"
    launched = sessions.launch(spec(argv=("codex",), env={"PATH": path, "ONLY_HERE": "1"}))
    other = sessions.launch(spec(window="bob-codex"))

    wait_for_output(sessions, account, launched.window, "ready")
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
    sessions: LauncherTmuxSessions,
    spec: Spec,
    fake_cli: Path,
    socket: str,
    account: LinuxAccount,
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
    wait_for_output(sessions, account, first.window, "ready")
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
    shown = tmux_as_owner(
        socket, "show-environment", "-g", ";", "show-environment", "-t", "=acme-web-p1"
    )
    assert shown.returncode == 0, shown.stderr
    assert "CANARY-0b5c9a" not in shown.stdout
    left = [p.name for p in Path(socket).parent.iterdir()]
    assert left == [Path(socket).name]  # the secrets files are gone


def test_a_root_account_is_refused_before_any_tmux_call(
    sessions: LauncherTmuxSessions, spec: Spec, account: LinuxAccount, socket: str
) -> None:
    root = attrs.evolve(account, name="root", uid=0, gid=0, home="/root")
    server = TmuxServer(socket, root)

    with pytest.raises(SessionRefused, match="root"):
        sessions.launch(spec(account=root))
    with pytest.raises(SessionRefused, match="root"):
        sessions.capture(server, "acme-web-p1", "alice-codex")
    assert sessions.windows([server]).windows == ()
    sessions.kill_sessions(server, ["acme-web-p1"])  # nothing done, as root or anyone
    assert not Path(socket).parent.exists()


def test_another_account_without_a_launcher_is_refused_with_one_line(
    spec: Spec, account: LinuxAccount, launcher: AccountLauncher
) -> None:
    other = attrs.evolve(account, name="someone-else", uid=account.uid + 1)
    alone = LauncherTmuxSessions(launcher=attrs.evolve(launcher, backend=None))

    if os.geteuid() == other.uid:
        pytest.skip("the next uid is this process's own")
    with pytest.raises(SessionRefused, match="without a launcher"):
        alone.launch(spec(account=other))


@needs_root
def test_a_socket_folder_of_another_user_is_refused(
    sessions: LauncherTmuxSessions, spec: Spec, tmpdir_1777: Path
) -> None:
    foreign = tmpdir_1777 / "foreign"
    foreign.mkdir(mode=0o700)

    with pytest.raises(SessionRefused, match=r"not usable by .*belongs to uid 0"):
        sessions.launch(spec(socket=str(foreign / "tmux")))
    assert list(foreign.iterdir()) == []


@needs_root
def test_a_socket_folder_the_account_made_a_symlink_is_refused(
    sessions: LauncherTmuxSessions, spec: Spec, tmpdir_1777: Path, account: LinuxAccount
) -> None:
    target = tmpdir_1777 / "roots"
    target.mkdir(mode=0o700)
    link = tmpdir_1777 / f"tmux-{account.uid}"
    link.symlink_to(target)
    os.lchown(link, account.uid, account.gid)

    with pytest.raises(SessionRefused, match="not usable by"):
        sessions.launch(spec(socket=str(link / "default")))
    assert list(target.iterdir()) == []
    assert oct(target.stat().st_mode & 0o777) == oct(0o700)


def test_a_secrets_file_no_window_read_is_removed_by_a_later_launch_with_secrets(
    sessions: LauncherTmuxSessions, spec: Spec, socket: str, account: LinuxAccount
) -> None:
    sessions.launch(spec())
    stale = Path(socket).parent / ".aiops-env-0123456789abcdef"
    stale.write_text("export OPENAI_API_KEY='x'\n")
    os.utime(stale, (time.time() - 600, time.time() - 600))
    fresh = Path(socket).parent / ".aiops-env-fedcba9876543210"
    fresh.write_text("export OPENAI_API_KEY='y'\n")
    for made in (stale, fresh):
        os.chown(made, account.uid, account.gid)

    sessions.launch(spec(window="bob-codex"))
    assert stale.exists()  # a launch without secrets leaves the folder alone
    sessions.launch(spec(window="carol-codex", secret_env={"OPENAI_API_KEY": "z"}))

    assert not stale.exists()
    assert fresh.exists()  # a window may be about to read it


@needs_root
def test_every_tmux_client_is_the_accounts_so_its_hooks_write_only_where_it_may(
    sessions: LauncherTmuxSessions, spec: Spec, server: TmuxServer, account: LinuxAccount,
    place: Path,
) -> None:  # fmt: skip
    """The adapter-level half of test_attacks.py: send_text has no public surface yet."""
    guarded = place / "root-only"
    guarded.mkdir(mode=0o700)
    mine = place / "mine"
    mine.mkdir(mode=0o700)
    os.chown(mine, account.uid, account.gid)
    launched = sessions.launch(spec(argv=("sh", "-c", "while read -r l; do :; done")))
    hooks = ("after-send-keys", "after-capture-pane", "after-list-windows", "after-select-window")
    setup = ["set-buffer", "-b", "x", "pwned"]
    for hook in hooks:
        setup += [";", "set-hook", "-g", hook,
                  f"save-buffer -b x {mine / hook} ; save-buffer -b x {guarded / hook}"]  # fmt: skip
    assert tmux_as_owner(server.socket, *setup).returncode == 0
    window = launched.window

    with pytest.raises(TmuxCommandFailed, match="Permission denied"):  # its own hook failed
        sessions.send_text(server, window.session, window.window, "hello")
    sessions.capture(server, window.session, window.window)
    sessions.windows([server])
    with pytest.raises(TmuxCommandFailed, match="Permission denied"):
        sessions.launch(spec(argv=("sh", "-c", "while read -r l; do :; done")))  # selects it
    sessions.kill_window(server, window.session, window.window)

    assert list(guarded.iterdir()) == []
    assert sorted(p.name for p in mine.iterdir()) == sorted(hooks)
    assert {p.stat().st_uid for p in mine.iterdir()} == {account.uid}


@needs_root
def test_a_tmux_tmpdir_the_account_may_not_write_is_refused_with_what_to_do(
    sessions: LauncherTmuxSessions, spec: Spec, place: Path, account: LinuxAccount
) -> None:
    closed = place / "closed"
    closed.mkdir(mode=0o755)

    with pytest.raises(SessionRefused, match="AIOPS_TMUX_TMPDIR must exist and let each account"):
        sessions.launch(spec(socket=str(closed / f"tmux-{account.uid}" / "default")))
    assert list(closed.iterdir()) == []
