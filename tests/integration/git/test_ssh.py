"""SSH: the exact ssh options git runs, then clone/fetch/push against a private sshd on 127.0.0.1
with its own host key, and host key checking (strict refuses, accept-new records)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.adapters.git.remote import Transport, known_hosts_name, ssh_argv, transport
from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import launcher_as_root, needs_root

from .conftest import Git, workspaces_in

SSHD = Path("/usr/sbin/sshd")


def test_ssh_argv_pins_key_host_keys_and_batch_mode() -> None:
    argv = ssh_argv(
        key_path="/scratch/aiops-git-1/key",
        known_hosts=Path("/scratch/aiops-git-1/known_hosts"),
        accept_new_host_keys=False,
    )

    assert argv == [
        "ssh", "-x",
        "-i", "/scratch/aiops-git-1/key", "-o", "IdentitiesOnly=yes",
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=15",
        "-o", "UserKnownHostsFile=/scratch/aiops-git-1/known_hosts",
        "-o", "StrictHostKeyChecking=yes",
    ]  # fmt: skip


def test_ssh_argv_accepts_new_host_keys_when_asked_and_works_without_a_key() -> None:
    argv = ssh_argv(key_path=None, known_hosts=Path("/kh"), accept_new_host_keys=True)

    assert "StrictHostKeyChecking=accept-new" in argv
    assert "-i" not in argv


@pytest.mark.parametrize(
    ("url", "kind", "host"),
    [
        ("git@example.com:team/app.git", Transport.SSH, "example.com"),
        ("ssh://git@example.com:2222/team/app.git", Transport.SSH, "[example.com]:2222"),
        ("ssh://git@example.com:22/team/app.git", Transport.SSH, "example.com"),
        ("https://github.com/team/app.git", Transport.HTTP, None),
        ("/srv/git/app.git", Transport.LOCAL, None),
        ("file:///srv/git/app.git", Transport.LOCAL, None),
    ],
)
def test_a_url_names_its_transport_and_known_hosts_entry(
    url: str, kind: Transport, host: str | None
) -> None:
    assert transport(url) is kind
    assert known_hosts_name(url) == host


@attrs.frozen
class Sshd:
    port: int
    host_public_key: str
    client_key: Path

    def url(self, path: Path) -> str:
        return f"ssh://root@127.0.0.1:{self.port}{path}"

    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_public_key}"


def keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aiops-test", "-f", str(path)],
        check=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"sshd exited: {process.stderr.read() if process.stderr else ''!r}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("sshd did not start listening")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A private sshd as root on a free port, with its own host key and authorized key."""
    if not SSHD.exists() or shutil.which("ssh") is None:
        pytest.skip("sshd/ssh are missing: `make system-deps` installs openssh-server")
    if os.geteuid() != 0:
        pytest.skip("the private sshd logs in as root: run the tests as root")
    folder = tmp_path_factory.mktemp("sshd")
    keygen(folder / "host_key")
    keygen(folder / "client_key")
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"PidFile {folder / 'sshd.pid'}\nAuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    process = subprocess.Popen(
        [str(SSHD), "-D", "-e", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(port, process)
        host_key = (folder / "host_key.pub").read_text().split()
        yield Sshd(
            port=port, host_public_key=" ".join(host_key[:2]), client_key=folder / "client_key"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_clone_fetch_and_push_over_ssh(
    sshd: Sshd, remote: Path, bob: Git, tmp_path: Path, target: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line() + "\n")
    workspaces = workspaces_in(tmp_path / "home", known_hosts)
    access = RemoteAccess(ssh_key_path=str(sshd.client_key))

    workspaces.clone(sshd.url(remote), WorkTree(target), branch="main", access=access)
    alice = Git(target)
    assert alice("status", "-sb").splitlines() == ["## main...origin/main"]

    theirs = bob.commit({"bob.txt": "bob\n"}, "Bob")
    bob("push", "-q")
    workspaces.fetch(WorkTree(target), access)
    assert alice.sha("origin/main") == theirs

    workspaces.pull(WorkTree(target), access)
    alice("config", "user.name", "Alice")
    alice("config", "user.email", "alice@example.com")
    ours = alice.commit({"alice.txt": "alice\n"}, "Alice")
    outcome = workspaces.push(WorkTree(target), access)

    assert outcome.head == ours == Git(remote).sha("main")
    assert workspaces.origin(WorkTree(target)) == sshd.url(remote)
    Git(remote).fsck()
    alice.fsck()


def test_strict_host_key_checking_refuses_an_unknown_host(
    sshd: Sshd, remote: Path, tmp_path: Path, target: Path
) -> None:
    workspaces = workspaces_in(tmp_path / "home", tmp_path / "known_hosts")
    access = RemoteAccess(ssh_key_path=str(sshd.client_key))

    with pytest.raises(RemoteFailed, match="host key"):
        workspaces.clone(sshd.url(remote), WorkTree(target), branch="main", access=access)

    assert not target.exists()
    assert not (tmp_path / "known_hosts").exists()


def test_accept_new_records_the_host_key(
    sshd: Sshd, remote: Path, tmp_path: Path, target: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    workspaces = workspaces_in(tmp_path / "home", known_hosts, accept_new=True)
    access = RemoteAccess(ssh_key_path=str(sshd.client_key))

    workspaces.clone(sshd.url(remote), WorkTree(target), branch="main", access=access)

    assert Git(target).sha("HEAD") == Git(remote).sha("main")
    recorded = subprocess.run(
        ["ssh-keygen", "-F", f"[127.0.0.1]:{sshd.port}", "-f", str(known_hosts)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert sshd.host_public_key.split()[1] in recorded.stdout


def test_an_unknown_key_is_an_authentication_failure(
    sshd: Sshd, remote: Path, tmp_path: Path, target: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line() + "\n")
    keygen(tmp_path / "stranger")
    workspaces = workspaces_in(tmp_path / "home", known_hosts)

    with pytest.raises(RemoteFailed, match="authentication failed"):
        workspaces.clone(
            sshd.url(remote),
            WorkTree(target),
            branch="main",
            access=RemoteAccess(ssh_key_path=str(tmp_path / "stranger")),
        )
    assert not target.exists()


def test_a_missing_repository_over_ssh(sshd: Sshd, tmp_path: Path, target: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line() + "\n")
    workspaces = workspaces_in(tmp_path / "home", known_hosts)

    with pytest.raises(RemoteFailed, match="does not exist"):
        workspaces.clone(
            sshd.url(tmp_path / "missing.git"),
            WorkTree(target),
            branch="main",
            access=RemoteAccess(ssh_key_path=str(sshd.client_key)),
        )
    assert not target.exists()


def test_an_unreachable_host_is_remote_failed(tmp_path: Path, target: Path) -> None:
    workspaces = workspaces_in(tmp_path / "home", tmp_path / "known_hosts")
    url = f"ssh://git@127.0.0.1:{free_port()}/team/app.git"  # nobody listens there

    with pytest.raises(RemoteFailed, match="unreachable"):
        workspaces.clone(url, WorkTree(target), branch="main", access=RemoteAccess())

    assert not target.exists()


@needs_root
def test_as_the_account_ssh_gets_a_copy_of_the_key_only_while_it_runs(
    sshd: Sshd, remote: Path, tmp_path: Path, place: Path, account: LinuxAccount
) -> None:
    scratch = place / "scratch"
    scratch.mkdir()
    scratch.chmod(0o1777)
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"other.example.com {sshd.host_public_key}\n")
    workspaces = GitCliWorkspaces(
        launcher=launcher_as_root(place / "home"),
        known_hosts=known_hosts,
        accept_new_host_keys=True,
        scratch=scratch,
    )
    tree = WorkTree(place / "home" / account.name / "workspace" / "web", account)
    access = RemoteAccess(ssh_key_path=str(sshd.client_key))  # root's 0600 file

    workspaces.clone(sshd.url(remote), tree, branch="main", access=access)
    workspaces.fetch(tree, access)

    assert Git(tree.path, account).sha("HEAD") == Git(remote).sha("main")
    assert tree.path.stat().st_uid == account.uid
    assert list(scratch.iterdir()) == []
    lines = known_hosts.read_text().splitlines()
    assert lines[0] == f"other.example.com {sshd.host_public_key}"
    assert len(lines) == 2  # the new host's key, learned once
    assert sshd.host_public_key.split()[1] in lines[1]
