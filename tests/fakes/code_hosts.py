"""In-memory fakes of the code host ports (ports/code_hosts.py): pull requests on one
repository, comments on issues, with injected faults.

Faults: `fail(method, error, times)` makes the next `times` calls of a method raise `error`
without any effect; `lose(method, times)` makes the next writes take effect and then raise
TrackerUnreachable (the answer was lost on the way back), as a retried write sees it.
`calls` counts every call by method name, `effects` every write that took effect.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import attrs

from aiops.domain.model.pull_requests import (
    ChecksState,
    PullState,
    RemotePull,
    ReviewComment,
    ReviewState,
)
from aiops.domain.model.trackers import TrackerError, TrackerUnreachable
from aiops.ports.issue_tracker import TrackerTarget


class _Faults:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.effects: Counter[str] = Counter()
        self.targets: list[TrackerTarget] = []
        self._fail: dict[str, list[TrackerError]] = {}
        self._lose: Counter[str] = Counter()

    def fail(self, method: str, error: TrackerError, times: int = 1) -> None:
        self._fail.setdefault(method, []).extend([error] * times)

    def lose(self, method: str, times: int = 1) -> None:
        self._lose[method] += times

    def heal(self) -> None:
        """No more injected faults."""
        self._fail.clear()
        self._lose.clear()

    def _enter(self, method: str, target: TrackerTarget) -> None:
        self.calls[method] += 1
        self.targets.append(target)
        queued = self._fail.get(method)
        if queued:
            raise queued.pop(0)

    def _done(self, method: str) -> None:
        """A write took effect: its answer comes back, unless it is to be lost."""
        self.effects[method] += 1
        if self._lose[method] > 0:
            self._lose[method] -= 1
            raise TrackerUnreachable(f"{method}: the connection dropped before the answer")


class FakeCodeHost(_Faults):
    """One repository's pull requests by number (`pulls`), as GitHub would keep them."""

    def __init__(self, url: str = "https://github.com/acme/web") -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.pulls: dict[int, RemotePull] = {}
        self.bodies: dict[int, str] = {}
        self.drafts: dict[int, bool] = {}

    def find_pull(self, target: TrackerTarget, *, head: str) -> RemotePull | None:
        self._enter("find_pull", target)
        found = [p for n, p in sorted(self.pulls.items()) if p.head == head]
        if not found:
            return None
        # As GitHub's and GitLab's listings: the state and head, no review, checks or comments
        return attrs.evolve(found[-1], review=ReviewState.NONE, checks=ChecksState.NONE,
                            checks_summary="", failing_checks=(), unresolved=())  # fmt: skip

    def open_pull(
        self,
        target: TrackerTarget,
        *,
        head: str,
        base: str,
        title: str,
        body: str,
        draft: bool = False,
    ) -> RemotePull:
        self._enter("open_pull", target)
        if any(p.head == head and not p.state.ended for p in self.pulls.values()):
            raise TrackerError(f"a pull request from {head} is open already")
        number = max(self.pulls, default=0) + 1
        state = PullState.DRAFT if draft else PullState.OPEN
        pull = RemotePull(number=number, url=f"{self.url}/pull/{number}", head=head, base=base,
                          title=title, state=state)  # fmt: skip
        self.pulls[number] = pull
        self.bodies[number] = body
        self._done("open_pull")
        return pull

    def pull(self, target: TrackerTarget, number: int) -> RemotePull:
        self._enter("pull", target)
        found = self.pulls.get(number)
        if found is None:
            raise TrackerError(f"pull request {number} does not exist")
        return found

    # What people and CI do on the code host
    def change(self, number: int, **changes: object) -> RemotePull:
        self.pulls[number] = attrs.evolve(self.pulls[number], **changes)  # type: ignore[arg-type]
        return self.pulls[number]

    def merge(self, number: int) -> RemotePull:
        return self.change(number, state=PullState.MERGED)

    def close(self, number: int) -> RemotePull:
        return self.change(number, state=PullState.CLOSED)

    def request_changes(
        self, number: int, comments: Sequence[ReviewComment], failing: Sequence[str] = ()
    ) -> RemotePull:
        pull = self.pulls[number]
        checks = ChecksState.FAILING if failing else pull.checks
        return self.change(
            number,
            review=ReviewState.CHANGES_REQUESTED,
            unresolved=(*pull.unresolved, *comments),
            failing_checks=tuple(failing),
            checks=checks,
        )


class FakeIssueComments(_Faults):
    """Comments by issue number ("#12", "OPS-7"), each (id, body), oldest first."""

    def __init__(self) -> None:
        super().__init__()
        self.comments: dict[str, list[tuple[str, str]]] = {}
        self._ids = 100

    def find_comment(self, target: TrackerTarget, issue: str, marker: str) -> str | None:
        self._enter("find_comment", target)
        return next((i for i, body in self.comments.get(issue, []) if marker in body), None)

    def add_comment(self, target: TrackerTarget, issue: str, body: str) -> str:
        self._enter("add_comment", target)
        self._ids += 1
        self.comments.setdefault(issue, []).append((str(self._ids), body))
        self._done("add_comment")
        return str(self._ids)

    def bodies(self, issue: str) -> list[str]:
        return [body for _, body in self.comments.get(issue, [])]
