"""Secrets never reach a command line, the stored run or its events, or files left behind:
a canary extra var and a real SSH private key, checked in /proc/*/cmdline of every process
while the run goes on and in everything stored after it."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aiops.container import Container
from aiops.domain.model.automation import MASK, RunStatus
from aiops.domain.model.identities import SshIdentity
from aiops.domain.usecases.automation import RunPlaybookCommand
from aiops.ports.unit_of_work import AuditQuery

pytestmark = pytest.mark.slow
CANARY = "canary-7f3e9b1d-hunter2"


def command_lines() -> list[bytes]:
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(path.read_bytes())
        except OSError:
            continue  # the process ended meanwhile
    return found


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]


def test_secret_extra_vars_and_ssh_keys_stay_out_of_argv_events_and_files(
    automation: Container, tmp_path: Path
) -> None:
    key = tmp_path / "deploy_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "deploy", "-f", str(key)],
        check=True,
    )
    key_body = key.read_text().splitlines()[2]  # a line of the key material itself
    with automation.uow() as uow:
        uow.identities.add(
            SshIdentity(
                name="deploy",
                public_key=key.with_suffix(".pub").read_text(),
                created_at=datetime.now(UTC),
                private_key_path=str(key),
            )
        )
        uow.commit()

    seen: list[bytes] = []
    agent_seen: list[bool] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            lines = command_lines()
            seen.extend(
                line for line in lines if CANARY.encode() in line or key_body.encode() in line
            )
            agent_seen.append(any(b"ssh-agent" in line for line in lines))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        run = automation.run_playbook()(
            RunPlaybookCommand(
                playbook="secret",
                extra_vars={"db_password": CANARY, "hold_seconds": 2},
                identity="deploy",
                wait=True,
            )
        )
    finally:
        done.set()
        watcher.join()

    assert run.status is RunStatus.SUCCESSFUL
    assert run.identity == "deploy"
    assert seen == []
    assert any(agent_seen)  # the key went to ssh-agent (through a fifo, not argv)
    assert run.extra_vars["db_password"] == MASK
    assert run.id is not None
    events = automation.run_events()(run.id).events
    assert any(MASK in e.stdout for e in events)
    assert not any(CANARY in f"{e.stdout} {e.task}" for e in events)
    with automation.uow() as uow:
        audit = uow.audit.list(AuditQuery(limit=100))
    assert CANARY not in repr(audit)
    instance = tmp_path / "instance"
    leftovers = [
        p
        for p in files_under(instance)
        if CANARY.encode() in p.read_bytes() or key_body.encode() in p.read_bytes()
    ]
    assert leftovers == []
    assert not (instance / "ansible" / "runs" / str(run.id)).exists()
    assert (instance / "ansible" / "artifacts" / f"run-{run.id}").is_dir()


def test_extra_vars_files_are_private_while_the_run_goes_on(
    automation: Container, tmp_path: Path
) -> None:
    holder: dict[str, object] = {}
    worker = threading.Thread(
        target=lambda: holder.setdefault(
            "run",
            automation.run_playbook()(
                RunPlaybookCommand(
                    playbook="secret",
                    extra_vars={"db_password": CANARY, "hold_seconds": 2},
                    wait=True,
                )
            ),
        ),
        daemon=True,
    )
    worker.start()
    extravars: Path | None = None
    deadline = time.monotonic() + 20
    while extravars is None and time.monotonic() < deadline:
        found = list((tmp_path / "instance" / "ansible" / "runs").glob("*/env/extravars"))
        extravars = found[0] if found else None
        time.sleep(0.02)
    assert extravars is not None
    assert extravars.stat().st_mode & 0o777 == 0o600
    assert extravars.parent.stat().st_mode & 0o777 == 0o700
    worker.join(30)
    assert not extravars.exists()


def test_artifacts_are_rotated(make_app: Callable[..., Container], tmp_path: Path) -> None:
    app = make_app(ansible_artifacts_keep=2)
    for _ in range(3):
        app.run_playbook()(RunPlaybookCommand(playbook="ping", wait=True))
    artifacts = sorted(p.name for p in (tmp_path / "instance" / "ansible" / "artifacts").iterdir())
    assert artifacts == ["run-2", "run-3"]
