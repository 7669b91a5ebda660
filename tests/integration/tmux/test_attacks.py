"""Attack: a user's own tmux server, hooked to write where only root may, driven through every
public surface that talks to it.

tmux 3.x performs a command's file I/O in the *client*, and a user controls their own server:
`set-hook -g after-list-windows 'save-buffer -b x /etc/cron.d/x'` makes whichever client lists
its windows write that file. aiops used to be that client as root (a root-owned cron line was
written through the session list). Here the throwaway account's server (at the socket aiops
uses for it, started by the account itself) carries such hooks for every command aiops runs,
each writing the buffer first to a folder of the account's, then to a folder only root may
write. The pages, the API, the CLI, the start-up reconcile, launch and stop all talk to it;
the root-only folder must stay empty, and the account's folder fills with files the account
wrote (the hooks ran, in clients that were the account's).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from aiops.config import Settings, load_settings
from aiops.container import Container
from aiops.domain.usecases.auth import CreateTokenCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand
from aiops.entrypoints.http.app import create_app
from aiops.ports.linux_users import LinuxAccount
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.http.conftest import PASSWORD, sign_in
from tests.integration.test_cli import Cli
from tests.integration.tmux.conftest import needs_root

pytestmark = needs_root
EMAIL = "mallory@example.com"
SOCKET_NAME = "aiops-attack"
BUFFER = "aiops-attack"
CRON_LINE = "* * * * * root touch /tmp/aiops-attack-pwned\n"
# The hooks of the commands aiops runs as a client (tmux 3.3 has no after-kill-window,
# after-kill-session or after-respawn-window: those run none).
CLIENT_HOOKS = (
    "after-list-windows",
    "after-capture-pane",
    "after-new-session",
    "after-new-window",
    "after-select-window",
    "after-set-option",
    "after-send-keys",
    "after-kill-pane",
)
# Hooks the server runs by itself, with no client: they act as the server, the account.
SERVER_HOOKS = ("session-created", "session-closed", "window-linked", "window-unlinked")
RAN_AS_AIOPS_CLIENT = ("after-list-windows", "after-capture-pane", "after-new-session",
                       "after-new-window", "after-select-window", "after-set-option")  # fmt: skip


def as_account(account: LinuxAccount, *argv: str) -> subprocess.CompletedProcess[str]:
    """`argv` run by the account itself (its uid, gid and groups), never by root."""
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        user=account.uid,
        group=account.gid,
        extra_groups=os.getgrouplist(account.name, account.gid),
        env={"PATH": "/usr/bin:/bin", "HOME": account.home, "LANG": "C.UTF-8"},
    )


@pytest.fixture
def tmux_tmpdir(place: Path) -> Path:
    """AIOPS_TMUX_TMPDIR, as /tmp is: every account makes its own tmux-<uid> in it."""
    folder = place / "sockets"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


@pytest.fixture
def guarded() -> Iterator[Path]:
    """A folder only root may write (as /etc/cron.d is)."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-attack-root-only-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mine(place: Path, account: LinuxAccount) -> Path:
    """A folder of the account's: where the hooks may write, as the account."""
    folder = place / "mine"
    folder.mkdir(mode=0o700)
    os.chown(folder, account.uid, account.gid)
    return folder


@pytest.fixture
def hostile_server(tmux_tmpdir: Path, account: LinuxAccount, guarded: Path, mine: Path) -> Path:
    """The account's own server at the socket aiops uses for it, started by the account, with
    a buffer holding a cron line and a hook on every command aiops runs."""
    folder = tmux_tmpdir / f"tmux-{account.uid}"
    assert as_account(account, "mkdir", "-m", "700", str(folder)).returncode == 0
    socket = folder / SOCKET_NAME
    tmux = ("tmux", "-S", str(socket))
    commands: list[str] = ["new-session", "-d", "-s", "scratch", "sleep 600", ";",
                           "new-session", "-d", "-s", "gone-p999", "sleep 600", ";",
                           "set-buffer", "-b", BUFFER, CRON_LINE]  # fmt: skip
    for hook in CLIENT_HOOKS + SERVER_HOOKS:
        writes = f"save-buffer -b {BUFFER} {mine / hook} ; save-buffer -b {BUFFER} {guarded / hook}"
        commands += [";", "set-hook", "-g", hook, writes]
    started = as_account(account, *tmux, *commands)
    assert started.returncode == 0, started.stderr
    hooks = as_account(account, *tmux, "show-hooks", "-g").stdout
    assert all(f"{hook}[0] save-buffer" in hooks for hook in CLIENT_HOOKS), hooks
    return socket


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, place: Path, tmux_tmpdir: Path, account: LinuxAccount,
    fake_cli: Path,
) -> Settings:  # fmt: skip
    (place / "home").mkdir(mode=0o755)
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=place / "home",
        tmux_tmpdir=tmux_tmpdir,
        tmux_socket_name=SOCKET_NAME,
        linux_user_mapping={EMAIL: account.name},
        agent_commands={"codex": [str(fake_cli)]},
        argon2_time_cost=2,
        argon2_memory_kib=19 * 1024,
        argon2_parallelism=1,
    )


def seed(app: Container, place: Path, account: LinuxAccount) -> tuple[int, str]:
    """acme/web (with a remote the account can read) and Mallory, a member mapped to the
    account; the project's id and Mallory's API token."""
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    remote = make_remote(place / "remote")
    trusting(account, remote)  # root's repository: git, as the account, must be told
    project = app.create_project()(
        CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=str(remote))
    )
    app.create_user()(CreateUserCommand(email=EMAIL, name="Mallory"))
    app.set_password()(SetPasswordCommand(email=EMAIL, password=PASSWORD))
    app.add_member()(AddMemberCommand(tenant="acme", email=EMAIL, role="member"))
    token = app.create_token()(CreateTokenCommand(email=EMAIL, name="attack")).secret
    assert project.id is not None
    return project.id, token


def cli_for(settings: Settings, tmp_path: Path) -> Cli:
    return Cli(
        tmp_path,
        AIOPS_DATABASE_URL=settings.database_url,
        AIOPS_INSTANCE_PATH=str(settings.instance_path),
        AIOPS_WORKSPACE_ROOT=str(settings.workspace_root),
        AIOPS_TMUX_TMPDIR=str(settings.tmux_tmpdir),
        AIOPS_TMUX_SOCKET_NAME=SOCKET_NAME,
        AIOPS_LINUX_USER_MAPPING=json.dumps(settings.linux_user_mapping),
        AIOPS_AGENT_COMMANDS=json.dumps(settings.agent_commands),
    )


def answered(response: Any) -> Any:
    """A response of the app, never a crash: a success, or an error it chose to give."""
    assert response.status_code != 500, response.text
    if response.status_code >= 400 and response.headers["content-type"].startswith("app"):
        assert "error" in response.json()
    return response


def test_a_hooked_server_of_the_account_writes_nothing_as_root_through_any_surface(
    app: Container, settings: Settings, place: Path, account: LinuxAccount, tmp_path: Path,
    hostile_server: Path, guarded: Path, mine: Path,
) -> None:  # fmt: skip
    project_id, token = seed(app, place, account)
    api = {"Authorization": f"Bearer {token}"}
    codex = {"project_id": project_id, "tool": "codex"}
    cli = cli_for(settings, tmp_path)
    tmux = ("tmux", "-S", str(hostile_server))
    outcomes: list[str] = []

    with TestClient(create_app(app), follow_redirects=False) as client:  # start-up reconcile
        launched = answered(client.post("/api/v1/sessions", json=codex, headers=api))
        answered(client.post("/api/v1/sessions", json=codex, headers=api))  # focus: select
        shell = answered(client.post("/api/v1/sessions", json=codex | {"tool": "shell"},
                                     headers=api))  # fmt: skip
        session_id = launched.json().get("id", 0)  # (0, when the launch failed: see below)
        answered(client.get("/api/v1/sessions", headers=api))
        answered(client.get(f"/api/v1/sessions/{session_id}", headers=api))
        sign_in(client, EMAIL)
        answered(client.get("/sessions"))
        answered(client.get(f"/sessions/{session_id}"))
        answered(client.get(f"/sessions/{session_id}/pane"))
    for args in (("session", "list", "--json"), ("tmux", "resync", "--dry-run"),
                 ("tmux", "resync"), ("session", "list", "--json")):  # fmt: skip
        if args[-1] == "--dry-run":  # resync then recreates it, in a new window of web-p1
            kill = ("kill-window", "-t", "=web-p1:=mallory-codex")
            as_account(account, *tmux, *kill)
        ran = cli.run(*args)
        assert "Traceback" not in ran.stderr, ran.stderr
        outcomes.append(f"{' '.join(args)}: {ran.returncode} {ran.stdout[-300:]}")
    listed = json.loads(cli.run("session", "list", "--json").stdout)
    with TestClient(create_app(app), follow_redirects=False) as client:  # start-up reconcile
        for row in listed:
            answered(client.delete(f"/api/v1/sessions/{row['id']}", headers=api))
    left = as_account(account, *tmux, "list-sessions", "-F", "#{session_name}")

    assert sorted(p.name for p in guarded.iterdir()) == [], outcomes  # nothing written as root
    written = {p.name: p.lstat() for p in mine.iterdir()}
    assert set(RAN_AS_AIOPS_CLIENT) <= set(written), (sorted(written), outcomes)
    assert {info.st_uid for info in written.values()} == {account.uid}
    assert (mine / "after-list-windows").read_text() == CRON_LINE
    assert (launched.status_code, shell.status_code) == (201, 201), (launched.text, shell.text)
    assert "recreate web-p1:mallory-codex" in outcomes[2], outcomes
    assert "prune gone-p999" in outcomes[2], outcomes
    assert len(listed) == 2
    assert left.stdout.split() == ["scratch"]  # stopped and pruned; the account's own is left
    assert pwd.getpwuid(hostile_server.stat().st_uid).pw_name == account.name
