"""The issue-to-PR loop under injected faults (a Hypothesis state machine): requests to open,
an agent committing and finishing its turns, reviewers merging, closing and asking for
changes, the runner running with time passing, and the code host and the tracker failing,
rate limiting, or losing the answers of writes they made.

Whatever happens: never two open pull requests from one branch, never two comments with
one marker, a comment once posted is never posted or run again, and once the faults stop
every step ends done or failed."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from aiops.domain.errors import Conflict
from aiops.domain.model.pull_requests import (
    LoopStep,
    NothingToPropose,
    ReviewComment,
    StepKind,
    StepState,
)
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerRateLimited,
    TrackerUnreachable,
)
from aiops.domain.usecases.pull_requests import ReviewToAgentCommand, queue_after_finished
from tests.unit.test_pull_requests import URL, World

MARKER = re.compile(r"<!-- aiops:([^ ]+) -->")
FAULTS = st.sampled_from(["unreachable", "5xx", "rate", "auth"])


class Loop(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.w = World()
        self.w.start_work()
        self.w.set_project(auto_pull_request=True, auto_review_to_agent=True)
        self.posted: dict[str, tuple[int, str | None]] = {}  # done comment steps: attempts, result
        self.notes = 0

    def _fault(self, kind: str) -> TrackerError:
        if kind == "rate":
            return TrackerRateLimited("rate limited", self.w.clock.now() + timedelta(seconds=90))
        if kind == "auth":
            return TrackerAuthFailed("the token lacks a write scope")
        if kind == "5xx":
            return TrackerError("the tracker answered 502")
        return TrackerUnreachable("connection reset")

    # --- the agent and its user ------------------------------------------------------

    @rule()
    def agent_commits(self) -> None:
        self.w.commit("work")

    @rule(draft=st.booleans())
    def user_asks_to_open(self, draft: bool) -> None:
        with contextlib.suppress(NothingToPropose):
            self.w.open(draft=draft)

    @rule()
    def agent_finishes_its_turn(self) -> None:
        with self.w.uow as uow:
            [session] = uow.agent_sessions.list(live=True)
            queue_after_finished(uow, session, self.w.clock.now())
            uow.commit()

    @rule()
    def user_sends_the_review(self) -> None:
        with self.w.uow as uow:
            pulls = list(uow.pull_requests.list())
        for pull in pulls:
            with contextlib.suppress(Conflict):
                self.w.review(ReviewToAgentCommand(pull_request_id=pull.id or 0))

    # --- the code host's people, and the sync ----------------------------------------

    @rule(event=st.sampled_from(["merge", "close", "changes"]))
    def reviewer_acts_then_sync(self, event: str) -> None:
        live = [n for n, p in self.w.host.pulls.items() if not p.state.ended]
        if live:
            number = live[-1]
            if event == "merge":
                self.w.host.merge(number)
            elif event == "close":
                self.w.host.close(number)
            else:
                self.notes += 1
                note = ReviewComment(path="src/a.py", line=self.notes, author="rev",
                                     body=f"fix {self.notes}", id=str(self.notes))  # fmt: skip
                self.w.host.request_changes(number, [note], failing=["lint"])
        self.w.sync()

    # --- faults -------------------------------------------------------------------------

    @rule(method=st.sampled_from(["find_pull", "open_pull", "pull"]), kind=FAULTS,
          times=st.integers(1, 3))  # fmt: skip
    def code_host_fails(self, method: str, kind: str, times: int) -> None:
        self.w.host.fail(method, self._fault(kind), times)

    @rule(method=st.sampled_from(["find_comment", "add_comment"]), kind=FAULTS,
          times=st.integers(1, 3))  # fmt: skip
    def tracker_fails(self, method: str, kind: str, times: int) -> None:
        self.w.comments.fail(method, self._fault(kind), times)

    @rule(down=st.booleans())
    def git_remote_goes_down_or_up(self, down: bool) -> None:
        if down:
            self.w.git.unreachable.add(URL)
        else:
            self.w.git.unreachable.discard(URL)

    @rule(times=st.integers(1, 2))
    def code_host_loses_answers(self, times: int) -> None:
        self.w.host.lose("open_pull", times)

    @rule(times=st.integers(1, 2))
    def tracker_loses_answers(self, times: int) -> None:
        self.w.comments.lose("add_comment", times)

    # --- the runner -----------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0, 5, 60, 600]))
    def runner_runs(self, seconds: int) -> None:
        self.w.clock.advance(seconds=seconds)
        self.w.run_steps()

    # --- what must always hold ----------------------------------------------------------

    def _steps(self) -> list[LoopStep]:
        return list(self.w.steps().values())

    @invariant()
    def never_two_open_pull_requests_from_one_branch(self) -> None:
        heads = Counter(p.head for p in self.w.host.pulls.values() if not p.state.ended)
        assert all(n <= 1 for n in heads.values()), heads
        assert not any("open already" in (s.last_error or "") for s in self._steps())

    @invariant()
    def never_two_comments_with_one_marker(self) -> None:
        markers = Counter(
            found
            for body in self.w.comments.bodies("#7")
            for found in MARKER.findall(body)
        )  # fmt: skip
        assert all(n == 1 for n in markers.values()), markers

    @invariant()
    def a_posted_comment_is_never_run_again(self) -> None:
        for step in self._steps():
            if step.kind is not StepKind.COMMENT or step.state is not StepState.DONE:
                continue
            known = self.posted.setdefault(step.key, (step.attempts, step.result))
            assert known == (step.attempts, step.result), step

    @invariant()
    def every_record_is_a_pull_request_on_the_host(self) -> None:
        with self.w.uow as uow:
            numbers = [p.number for p in uow.pull_requests.list()]
        assert len(numbers) == len(set(numbers))
        assert set(numbers) <= set(self.w.host.pulls)

    def teardown(self) -> None:
        """The faults stop: every step ends, done or failed, and each done comment is on
        the issue exactly once."""
        if not hasattr(self, "w"):
            return
        self.w.host.heal()
        self.w.comments.heal()
        self.w.git.unreachable.clear()
        for _ in range(12):
            self.w.clock.advance(seconds=600)
            self.w.run_steps()
        steps = self._steps()
        assert {s.state for s in steps} <= {StepState.DONE, StepState.FAILED}, steps
        posted = set(MARKER.findall("\n".join(self.w.comments.bodies("#7"))))
        done = {s.key for s in steps if s.kind is StepKind.COMMENT and s.state is StepState.DONE}
        assert done <= posted


TestLoop = Loop.TestCase
TestLoop.settings = settings(
    max_examples=50,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
