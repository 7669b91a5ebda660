"""Which aiops process runs a run, and whether that process is still alive."""

from __future__ import annotations

from typing import Protocol


class RunnerProcesses(Protocol):
    def me(self) -> str:
        """This process's id, stored with each run it starts: its host, pid and start time
        (a pid is reused; a pid with its start time is not)."""
        ...

    def alive(self, runner: str) -> bool | None:
        """Whether the process `runner` names is still running: None when it is on another
        host (or out of sight of this one), where nothing can be told."""
        ...

    def describe(self, runner: str) -> str:
        """`runner` for people: "aiops process <pid> on <host>"."""
        ...
