"""`aiops serve` started as root keeps root in the launcher alone: the web workers run as the
service account (made when missing, given the instance folder), and the launcher answers that
account only. Real processes, read back from /proc."""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiops.adapters.launcher.executor import in_child
from aiops.adapters.launcher.protocol import encode
from aiops.adapters.launcher.server import read_frame
from aiops.adapters.launcher.switch import Account
from aiops.adapters.system_accounts import uid_min
from tests.accounts import needs_root, open_folder, remove_account, throwaway_account
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.test_cli import AIOPS, Cli
from tests.serving import wait_until_healthy

# One server for the module (it takes seconds to start), its tests in order on one worker;
# the last one stops it.
pytestmark = [needs_root, pytest.mark.slow, pytest.mark.xdist_group("privilege-separation")]


def ids(pid: int) -> dict[str, list[int]]:
    """The Uid and Gid lines of /proc/<pid>/status: real, effective, saved, filesystem."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    found = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid"):
            found[key] = [int(part) for part in value.split()]
    return found


def tree(root: int) -> list[int]:
    """`root` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = next(line for line in status.splitlines() if line.startswith("PPid:"))
            parents[int(entry.name)] = int(ppid.split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, cli: Cli, process: subprocess.Popen[bytes], service: str) -> None:
        self.cli = cli
        self.process = process
        self.service = pwd.getpwnam(service)
        self.instance = cli.home / "instance"


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    """`aiops serve --workers 2` started as root for a service account that does not exist yet."""
    home = open_folder("aiops-privsep-")
    service = f"aiops-svc-{secrets.token_hex(3)}"
    cli = Cli(home, AIOPS_SERVICE_USER=service, AIOPS_WORKSPACE_ROOT=str(home / "home"))
    cli.ok("db", "upgrade")
    # Earlier versions gave each user's credential folder to their account.
    old_store = home / "instance" / "codex" / "user-7"
    old_store.mkdir(mode=0o700, parents=True)
    (old_store / "auth.json").write_text("{}")
    for path in (old_store, old_store / "auth.json"):
        os.chown(path, 65534, 65534)
    port = free_port()
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [AIOPS, "serve", "--port", str(port), "--workers", "2"],
        env=cli.env, cwd=home, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", home / "server.log")
        yield Served(cli, process, service)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)
        log.close()
        remove_account(service)
        shutil.rmtree(home, ignore_errors=True)


def test_serve_started_as_root_runs_everything_but_the_launcher_as_the_service_account(
    served: Served,
) -> None:
    service = served.service
    processes = tree(served.process.pid)
    launchers = [pid for pid in processes if "launcher_daemon" in cmdline(pid)]
    as_root = [pid for pid in processes if 0 in ids(pid)["Uid"]]
    workers = [pid for pid in processes if "multiprocessing.spawn" in cmdline(pid)]

    assert service.pw_uid < uid_min()  # a system account, made by serve
    assert service.pw_shell == "/usr/sbin/nologin"
    assert len(workers) == 2
    for pid in [served.process.pid, *workers]:
        assert ids(pid) == {"Uid": [service.pw_uid] * 4, "Gid": [service.pw_gid] * 4}
    assert as_root == launchers[:1]  # the launcher; its helper child is the service's too
    assert all(ids(pid)["Uid"] == [service.pw_uid] * 4 for pid in launchers[1:])


def test_the_instance_is_the_services_and_the_socket_its_groups(served: Served) -> None:
    service = served.service
    info = served.instance.lstat()
    sock = (served.instance / "launcher.sock").lstat()
    owners = {path.lstat().st_uid for path in served.instance.rglob("*") if not path.is_socket()}

    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (service.pw_uid, 0o700)
    assert owners == {service.pw_uid}
    assert stat.S_ISSOCK(sock.st_mode)
    assert (sock.st_uid, sock.st_gid, stat.S_IMODE(sock.st_mode)) == (0, service.pw_gid, 0o660)


def test_the_launcher_answers_the_service_account_and_no_one_else(served: Served) -> None:
    path = str(served.instance / "launcher.sock")
    service = served.service
    as_service = Account(
        service.pw_name, service.pw_uid, service.pw_gid, service.pw_dir, "/bin/sh",
        tuple(os.getgrouplist(service.pw_name, service.pw_gid)),
    )  # fmt: skip

    def ping() -> dict[str, object]:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(path)
            connection.sendall(encode({"op": "ping"}))
            return {"reply": json.loads(read_frame(connection) or b"{}")}

    assert in_child(as_service, ping).body == {"ok": True, "reply": {"ok": True, "uid": 0}}
    assert ping()["reply"] == {
        "error": {"code": "peer_refused", "message": "uid 0 may not use the launcher"}
    }


def test_a_root_cli_command_on_the_services_instance_runs_as_the_service(served: Served) -> None:
    served.cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    audit = served.cli.json("audit", "list")

    assert audit[0]["actor"] == "cli:root"  # who asked, though the command ran as the service
    owners = {path.lstat().st_uid for path in served.instance.rglob("*") if not path.is_socket()}
    assert owners == {served.service.pw_uid}  # root wrote nothing of the service's


def test_stopping_the_server_stops_the_launcher_and_removes_its_socket(served: Served) -> None:
    processes = tree(served.process.pid)

    served.process.terminate()
    served.process.wait(timeout=15)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in processes) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not [pid for pid in processes if Path(f"/proc/{pid}").exists()]
    assert not (served.instance / "launcher.sock").exists()


def test_run_by_an_ordinary_user_aiops_acts_only_as_that_user() -> None:
    """No launcher: the user's own workspace works, another account's is refused in one line."""
    home = open_folder("aiops-ordinary-")
    try:
        with throwaway_account("aiops-o") as me, throwaway_account("aiops-p") as other:
            os.chown(home, me.uid, me.gid)
            remote = make_remote(home)
            trusting(me, remote)  # root made it
            mapping = json.dumps({"me@example.com": me.name, "other@example.com": other.name})
            cli = Cli(home, AIOPS_WORKSPACE_ROOT=str(home / "ws"), AIOPS_LINUX_USER_MAPPING=mapping)
            as_me = ["runuser", "-u", me.name, "--"]

            def run(*args: str) -> subprocess.CompletedProcess[str]:
                return subprocess.run(
                    [*as_me, AIOPS, *args], env=cli.env, cwd=home, capture_output=True,
                    text=True, timeout=60, check=False,
                )  # fmt: skip

            (home / "ws").mkdir()
            os.chown(home / "ws", me.uid, me.gid)
            for command in (
                ["db", "upgrade"],
                ["tenant", "create", "--slug", "acme", "--name", "Acme"],
                ["project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
                 "--repo-url", str(remote)],
                ["user", "create", "--email", "me@example.com", "--name", "Me"],
                ["user", "create", "--email", "other@example.com", "--name", "Other"],
                ["member", "add", "--tenant", "acme", "--email", "me@example.com", "--role", "member"],
                ["member", "add", "--tenant", "acme", "--email", "other@example.com", "--role", "member"],
            ):  # fmt: skip
                assert run(*command).returncode == 0, run(*command).stderr
            mine = run("init-workspace", "--user-email", "me@example.com", "--project-id", "1")
            theirs = run("init-workspace", "--user-email", "other@example.com", "--project-id", "1")

            assert mine.returncode == 0, mine.stderr
            assert (home / "ws" / me.name / "workspace" / "web" / ".git").is_dir()
            assert theirs.returncode == 1
            assert theirs.stderr.count("\n") == 1
            assert f"not as root and without a launcher: it acts only as {me.name}" in theirs.stderr
            assert not (home / "ws" / other.name).exists()
    finally:
        shutil.rmtree(home, ignore_errors=True)
