"""LazyAnsibleRunner: the ansible-runner adapter, imported and built on the first run.

ansible_runner takes a while to import and most commands (and most page views of runs) never
start one; cancel and wait answer without it while nothing has run in this process."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from aiops.adapters.ansible.catalogue import FilePlaybookCatalogue
from aiops.ports.automation import PlaybookLaunch, PlaybookRunner, RunListener


class LazyAnsibleRunner:
    def __init__(
        self,
        *,
        catalogue: FilePlaybookCatalogue,
        work_dir: Path,
        artifacts_keep: int = 50,
        npm: str = "npm",
    ) -> None:
        self._npm = npm
        self._catalogue = catalogue
        self._work_dir = work_dir
        self._keep = artifacts_keep
        self._runner: PlaybookRunner | None = None
        self._lock = threading.Lock()

    def start(self, launch: PlaybookLaunch, listener: RunListener) -> None:
        self._built().start(launch, listener)

    def cancel(self, run_id: int) -> bool:
        return self._runner is not None and self._runner.cancel(run_id)

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        return self._runner is None or self._runner.wait(run_id, timeout)

    def running(self) -> Sequence[int]:
        return [] if self._runner is None else self._runner.running()

    def _built(self) -> PlaybookRunner:
        with self._lock:
            if self._runner is None:
                from aiops.adapters.ansible.runner import (  # noqa: PLC0415 - see the docstring
                    AnsibleRunnerAutomation,
                )

                self._runner = AnsibleRunnerAutomation(
                    catalogue=self._catalogue,
                    work_dir=self._work_dir,
                    artifacts_keep=self._keep,
                    npm=self._npm,
                )
            return self._runner
