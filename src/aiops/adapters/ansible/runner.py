"""AnsibleRunnerAutomation: runs a playbook with ansible-runner's run_async.

Each run gets a private data dir under the work dir holding only its env/ files: the extra vars
(env/extravars, every string marked `!unsafe` so that Ansible never templates it) and the SSH
key (env/ssh_key), both mode 0600, so neither ever reaches a command line (ansible-playbook
gets `-e @<file>`; ansible-runner feeds the key to ssh-agent through a fifo); the folder is
removed when the run ends. Artifacts go to one shared folder, one per run (`run-<id>`),
rotated to the newest `artifacts_keep`; ansible's output is not kept there
(suppress_output_file): the events are stored through the listener instead.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ansible_runner
from ansible_runner.exceptions import AnsibleRunnerException

from aiops.adapters.ansible import pty_close
from aiops.adapters.ansible.catalogue import FilePlaybookCatalogue
from aiops.adapters.ansible.extravars import unsafe_yaml
from aiops.domain.model.automation import HostSummary, RunEvent, RunStatus
from aiops.ports.automation import PlaybookLaunch, RunListener, RunOutcome

_STATUSES = {
    "successful": RunStatus.SUCCESSFUL,
    "failed": RunStatus.FAILED,
    "canceled": RunStatus.CANCELLED,
    "timeout": RunStatus.TIMEOUT,
}
_HOST_STATUS = {
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
    "runner_item_on_failed": "failed",
    "runner_item_on_skipped": "skipped",
}


def run_event_from_runner(run_id: int, event: Mapping[str, Any]) -> RunEvent | None:
    """One of ansible-runner's event dicts as a RunEvent (None without a counter). Only the
    type, host, task, a status and the display text are kept: never the module's result."""
    seq = event.get("counter")
    if not isinstance(seq, int) or seq < 1:
        return None
    data = event.get("event_data") or {}
    kind = str(event.get("event") or "")
    status = _HOST_STATUS.get(kind)
    if kind in ("runner_on_ok", "runner_item_on_ok"):
        status = "changed" if (data.get("res") or {}).get("changed") else "ok"
    host = data.get("host") or data.get("remote_addr")
    task = data.get("task")
    return RunEvent(
        run_id=run_id,
        seq=seq,
        event=kind,
        host=str(host) if host else None,
        task=str(task) if task else None,
        status=status,
        stdout=str(event.get("stdout") or "").replace("\r\n", "\n"),
        at=_when(event.get("created")),
    )


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def summary_from_stats(data: Mapping[str, Any]) -> tuple[HostSummary, ...]:
    """The per-host counts of a playbook_on_stats event."""
    columns = {
        "ok": "ok",
        "changed": "changed",
        "failed": "failures",
        "unreachable": "dark",
        "skipped": "skipped",
    }
    hosts: set[str] = set()
    for key in columns.values():
        hosts.update((data.get(key) or {}).keys())
    return tuple(
        HostSummary(
            host=host,
            **{field: int((data.get(key) or {}).get(host, 0)) for field, key in columns.items()},
        )
        for host in sorted(hosts)
    )


def _write_private(path: Path, text: str) -> None:
    """Create `path` with mode 0600 from the start (never readable by others, not even briefly)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


class _Died:
    status = "failed"
    rc = None


MARK = "AIOPS_RUN_MARK"  # in the environment of every process of a run (see kill_marked)


def kill_marked(mark: str, proc: Path = Path("/proc")) -> int:
    """SIGKILL every process whose environment holds AIOPS_RUN_MARK=<mark>; how many.

    ansible-runner kills ansible-playbook's process group when a run is cancelled or times
    out, but ansible's workers start modules in sessions of their own (a `command: sleep 600`
    on localhost goes on); they all inherit the run's environment, so the mark finds them."""
    wanted = f"{MARK}={mark}".encode()
    killed = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (OSError, ProcessLookupError):
            continue  # gone meanwhile, or not ours to read
    return killed


class _Live:
    def __init__(self, private_dir: Path) -> None:
        self.private_dir = private_dir
        self.mark = secrets.token_hex(12)
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.summary: tuple[HostSummary, ...] = ()
        self.started = False


class AnsibleRunnerAutomation:
    def __init__(
        self,
        *,
        catalogue: FilePlaybookCatalogue,
        work_dir: Path,
        artifacts_keep: int = 50,
        bin_dir: Path | None = None,
        npm: str = "npm",
    ) -> None:
        self._npm = npm  # AIOPS_NPM, for ai-clis.yml: the program is a setting, never a run input
        pty_close.install()  # no idle 0.1 s after each finished run (see pty_close)
        self._catalogue = catalogue
        self._work_dir = work_dir
        self._keep = artifacts_keep
        # The venv's bin first on the child's PATH: ansible-runner runs `ansible-playbook` by
        # name (rc 127 otherwise when aiops is not started from an activated venv).
        self._bin_dir = bin_dir or Path(sys.executable).parent
        self._runs: dict[int, _Live] = {}
        self._lock = threading.Lock()

    def start(self, launch: PlaybookLaunch, listener: RunListener) -> None:
        inventory = self._catalogue.inventory_path(launch.inventory)
        playbook = self._catalogue.playbook_path(launch.playbook)
        if inventory is None or not playbook.is_file():
            raise OSError(errno.ENOENT, f"{launch.playbook} or {launch.inventory} is missing")
        private_dir = self._prepare(launch)
        live = _Live(private_dir)
        with self._lock:
            self._runs[launch.run_id] = live
        try:
            thread, _ = ansible_runner.run_async(
                private_data_dir=str(private_dir),
                project_dir=str(self._catalogue.playbook_dir),
                playbook=playbook.name,
                inventory=str(inventory),
                artifact_dir=str(self._work_dir / "artifacts"),
                ident=f"run-{launch.run_id}",
                rotate_artifacts=self._keep,
                timeout=launch.timeout_seconds,
                limit=launch.limit,
                tags=launch.tags,
                cmdline="--check" if launch.check else None,
                envvars=self._envvars(live.mark),
                quiet=True,
                suppress_output_file=True,
                event_handler=lambda event: self._on_event(launch.run_id, live, listener, event),
                status_handler=lambda status, runner_config: self._on_status(
                    live, listener, status
                ),
                cancel_callback=lambda: self._should_cancel(live, listener),
                finished_callback=lambda runner: self._on_finished(launch.run_id, listener, runner),
            )
        except (AnsibleRunnerException, ValueError) as error:
            self._forget(launch.run_id)
            raise OSError(errno.EINVAL, str(error)) from None
        threading.Thread(
            target=self._watch, args=(thread, launch.run_id, live, listener), daemon=True
        ).start()

    def cancel(self, run_id: int) -> bool:
        with self._lock:
            live = self._runs.get(run_id)
        if live is None:
            return False
        live.cancel.set()
        return True

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        with self._lock:
            live = self._runs.get(run_id)
        return True if live is None else live.done.wait(timeout)

    def running(self) -> Sequence[int]:
        with self._lock:
            return sorted(self._runs)

    def _prepare(self, launch: PlaybookLaunch) -> Path:
        runs = self._work_dir / "runs"
        runs.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self._work_dir, 0o700)
        private_dir = runs / str(launch.run_id)
        if private_dir.exists():
            shutil.rmtree(private_dir)
        (private_dir / "env").mkdir(mode=0o700, parents=True)
        # ansible-runner reads these over its keywords. No copy of the output on disk; and it
        # looks for a cancel (or the timeout) each time it has waited this long for output.
        settings = {"suppress_output_file": True, "pexpect_timeout": 0.25}
        _write_private(private_dir / "env" / "settings", json.dumps(settings))
        if launch.extra_vars:
            _write_private(private_dir / "env" / "extravars", unsafe_yaml(launch.extra_vars))
        if launch.private_key_path:
            key = Path(launch.private_key_path).read_text(encoding="utf-8")
            _write_private(private_dir / "env" / "ssh_key", key)
        return private_dir

    def _envvars(self, mark: str) -> dict[str, str]:
        path = os.environ.get("PATH", os.defpath)
        return {
            MARK: mark,
            "PATH": f"{self._bin_dir}{os.pathsep}{path}",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "AIOPS_NPM": self._npm,
        }

    def _on_event(
        self, run_id: int, live: _Live, listener: RunListener, event: Mapping[str, Any]
    ) -> bool:
        if event.get("event") == "playbook_on_stats":
            live.summary = summary_from_stats(event.get("event_data") or {})
        mapped = run_event_from_runner(run_id, event)
        if mapped is not None:
            listener.event(mapped)
        return False  # stored through the listener: ansible-runner need not write it to disk

    def _should_cancel(self, live: _Live, listener: RunListener) -> bool:
        """Once True, always True: ansible-runner asks again on every loop and would take a
        later False as "not cancelled" after it has already stopped the run."""
        if not live.cancel.is_set() and listener.cancel_requested():
            live.cancel.set()
        return live.cancel.is_set()

    def _on_status(self, live: _Live, listener: RunListener, status: Mapping[str, Any]) -> None:
        if not live.started and status.get("status") in ("starting", "running"):
            live.started = True
            listener.started()

    def _on_finished(self, run_id: int, listener: RunListener, runner: Any) -> None:
        with self._lock:
            live = self._runs.get(run_id)
        if live is not None:
            kill_marked(live.mark)  # what a cancel or the timeout left running (modules)
            shutil.rmtree(live.private_dir, ignore_errors=True)  # the env/ files: secrets
        try:
            rc = runner.rc if isinstance(runner.rc, int) else None
            status = _STATUSES.get(str(runner.status), RunStatus.FAILED)
            listener.finished(
                RunOutcome(status=status, rc=rc, summary=live.summary if live else ())
            )
        finally:
            self._forget(run_id)
            if live is not None:
                live.done.set()

    def _watch(
        self, thread: threading.Thread, run_id: int, live: _Live, listener: RunListener
    ) -> None:
        """A run whose thread died without finishing (an error inside ansible-runner) still
        ends, as failed, so nobody waits for it forever."""
        thread.join()
        if not live.done.wait(5):
            self._on_finished(run_id, listener, _Died())

    def _forget(self, run_id: int) -> _Live | None:
        with self._lock:
            live = self._runs.pop(run_id, None)
        if live is not None:
            shutil.rmtree(live.private_dir, ignore_errors=True)  # the env/ files: secrets
        return live
