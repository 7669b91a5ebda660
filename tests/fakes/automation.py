"""Fakes of the playbook catalogue, runner and runner processes (ports/automation.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiops.domain.model.automation import Playbook, RunEvent, RunStatus
from aiops.domain.model.playbook_vars import VarType
from aiops.ports.automation import PlaybookLaunch, RunListener, RunOutcome


class FakePlaybookCatalogue:
    def __init__(
        self,
        playbooks: Mapping[str, str] | None = None,
        inventories: Sequence[str] = ("localhost",),
        variables: Mapping[str, Mapping[str, VarType]] | None = None,
    ) -> None:
        self.descriptions = dict(
            playbooks
            if playbooks is not None
            else {"ping": "Connectivity check", "ai-clis": "AI CLIs", "host-report": "Report"}
        )
        self.inventory_names = list(inventories)
        self.variables = dict(variables or {})  # playbook -> its declared extra vars

    def playbooks(self) -> Sequence[Playbook]:
        return [
            Playbook(name=n, description=d, variables=self.variables.get(n, {}))
            for n, d in sorted(self.descriptions.items())
        ]

    def inventories(self) -> Sequence[str]:
        return list(self.inventory_names)


class FakePlaybookRunner:
    """Records each launch; the test plays the runner's part with emit() and finish() (and
    begin(), when `hold` keeps a started run queued, as ansible-runner's start-up does)."""

    def __init__(self, *, fail_to_start: bool = False, hold: bool = False) -> None:
        self.launches: dict[int, PlaybookLaunch] = {}
        self.listeners: dict[int, RunListener] = {}
        self.cancelled: list[int] = []
        self.fail_to_start = fail_to_start
        self.hold = hold

    def start(self, launch: PlaybookLaunch, listener: RunListener) -> None:
        if self.fail_to_start:
            raise OSError(2, "No such file or directory")
        self.launches[launch.run_id] = launch
        self.listeners[launch.run_id] = listener
        if not self.hold:
            listener.started()

    def begin(self, run_id: int) -> None:
        self.listeners[run_id].started()

    def emit(self, run_id: int, *events: RunEvent) -> None:
        for event in events:
            self.listeners[run_id].event(event)

    def finish(self, run_id: int, outcome: RunOutcome) -> None:
        self.listeners.pop(run_id).finished(outcome)

    def cancel(self, run_id: int) -> bool:
        if run_id not in self.listeners:
            return False
        self.cancelled.append(run_id)
        return True

    def wait(self, run_id: int, timeout: float | None = None) -> bool:
        return run_id not in self.listeners

    def running(self) -> Sequence[int]:
        return sorted(self.listeners)

    def stop_all(self) -> None:
        """End every run still going (cancelled), so that no recorder thread, which beats
        against the database, outlives the test that started it."""
        for run_id in list(self.listeners):
            self.finish(run_id, RunOutcome(status=RunStatus.CANCELLED, rc=None))


class FakeRunnerProcesses:
    """Runners named "<host>:<n>": those of `host` are alive unless in `dead`; those of any
    other host cannot be told (None)."""

    def __init__(self, host: str = "here", me: int = 1) -> None:
        self.host = host
        self.pid = me
        self.dead: set[str] = set()
        self.asked: list[str] = []

    def me(self) -> str:
        return f"{self.host}:{self.pid}"

    def kill(self, runner: str | None = None) -> None:
        self.dead.add(runner or self.me())

    def alive(self, runner: str) -> bool | None:
        self.asked.append(runner)
        if not runner.startswith(f"{self.host}:"):
            return None
        return runner not in self.dead

    def describe(self, runner: str) -> str:
        host, _, pid = runner.rpartition(":")
        return f"aiops process {pid} on {host}"
