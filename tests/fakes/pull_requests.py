"""In-memory PullRequestRepository and LoopStepQueue (issue 19), on a FakeUnitOfWork's state."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.pull_requests import LoopStep, PullRequest, PullState, StepState

if TYPE_CHECKING:
    from tests.fakes.unit_of_work import State


class FakePullRequests:
    def __init__(self, state: State) -> None:
        self._s = state

    def add(self, pull: PullRequest) -> PullRequest:
        if self.get_by_number(pull.connection_id, pull.number) is not None:
            raise Conflict(f"pull request {pull.number} is recorded already")
        pull = attrs.evolve(pull, id=self._s.new_id())
        assert pull.id is not None
        self._s.pull_requests[pull.id] = pull
        return pull

    def update(self, pull: PullRequest) -> PullRequest:
        if pull.id not in self._s.pull_requests:
            raise NotFound(f"pull request {pull.id} does not exist")
        self._s.pull_requests[pull.id] = pull
        return pull

    def get(self, pull_request_id: int) -> PullRequest | None:
        return self._s.pull_requests.get(pull_request_id)

    def get_by_number(self, connection_id: int, number: int) -> PullRequest | None:
        return next(
            (
                p
                for p in self._s.pull_requests.values()
                if (p.connection_id, p.number) == (connection_id, number)
            ),
            None,
        )

    def list(
        self,
        *,
        project_id: int | None = None,
        issue_id: int | None = None,
        connection_id: int | None = None,
        states: Collection[PullState] | None = None,
    ) -> Sequence[PullRequest]:
        return [
            p
            for _, p in sorted(self._s.pull_requests.items(), reverse=True)
            if (project_id is None or p.project_id == project_id)
            and (issue_id is None or p.issue_id == issue_id)
            and (connection_id is None or p.connection_id == connection_id)
            and (states is None or p.state in states)
        ]


class FakeLoopSteps:
    def __init__(self, state: State) -> None:
        self._s = state

    def add(self, step: LoopStep) -> LoopStep:
        known = self.get_by_key(step.key)
        if known is not None:
            return known
        step = attrs.evolve(step, id=self._s.new_id())
        assert step.id is not None
        self._s.loop_steps[step.id] = step
        return step

    def update(self, step: LoopStep) -> LoopStep:
        if step.id not in self._s.loop_steps:
            raise NotFound(f"step {step.id} does not exist")
        self._s.loop_steps[step.id] = step
        return step

    def get(self, step_id: int) -> LoopStep | None:
        return self._s.loop_steps.get(step_id)

    def get_by_key(self, key: str) -> LoopStep | None:
        return next((s for s in self._s.loop_steps.values() if s.key == key), None)

    def due(self, now: datetime, limit: int = 20) -> Sequence[LoopStep]:
        pending = [
            s
            for s in self._s.loop_steps.values()
            if s.state is StepState.PENDING and s.next_attempt_at <= now
        ]
        return sorted(pending, key=lambda s: (s.next_attempt_at, s.id or 0))[:limit]

    def list(
        self, *, issue_id: int | None = None, pull_request_id: int | None = None
    ) -> Sequence[LoopStep]:
        return [
            s
            for _, s in sorted(self._s.loop_steps.items(), reverse=True)
            if (issue_id is None or s.issue_id == issue_id)
            and (pull_request_id is None or s.pull_request_id == pull_request_id)
        ]
