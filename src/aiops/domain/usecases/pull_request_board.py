"""What the pages show of the issue-to-pull-request loop (issue 19), read in one unit of work:
each issue's pull requests and the error of its latest step still in trouble, and the user's
own open pull requests by project (the dashboard's cards).

Read only, and only what the actor may see: an issue or project of a tenant the actor has no
role in is left out, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from aiops.domain.model.access import Actor, Permission
from aiops.domain.model.pull_requests import LoopStep, PullRequest, PullState, StepKind, StepState
from aiops.domain.model.trackers import Issue
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

OPEN_STATES = (PullState.OPEN, PullState.DRAFT)


@attrs.frozen(kw_only=True)
class IssueLoop:
    """One issue's side of the loop: its pull requests (newest first), and the latest of its
    steps that failed, or that wait for a retry after an error (None: nothing in trouble)."""

    pulls: tuple[PullRequest, ...] = ()
    trouble: LoopStep | None = None

    @property
    def pull(self) -> PullRequest | None:
        """The newest pull request (the one an issue row shows)."""
        return self.pulls[0] if self.pulls else None

    def pull_of(self, user_id: int | None) -> PullRequest | None:
        """The pull request one user's agent made for the issue (a session page's)."""
        return next((p for p in self.pulls if p.user_id == user_id), None)


def in_trouble(step: LoopStep) -> bool:
    """A step the issue shows: failed for good, or pending again after an error."""
    return step.state is StepState.FAILED or (
        step.state is StepState.PENDING and step.last_error is not None
    )


def latest_trouble(steps: Iterable[LoopStep]) -> LoopStep | None:
    """The newest step in trouble, unless a step of its kind was done after it (the pull
    request opened after all: the earlier error is over)."""
    done: set[StepKind] = set()
    for step in sorted(steps, key=lambda s: (s.created_at, s.id or 0), reverse=True):
        if in_trouble(step) and step.kind not in done:
            return step
        if step.state is StepState.DONE:
            done.add(step.kind)
    return None


class PullRequestBoard:
    """A few queries per page, whatever the number of issues or projects: one per project of
    the issues shown (its pull requests and worktrees), one per issue that has a worktree or a
    pull request (its steps); the dashboard's one."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def for_issues(self, issues: Sequence[Issue], actor: Actor) -> Mapping[int, IssueLoop]:
        """Each visible issue's loop, by issue id (issues without pull requests or troubles
        are left out)."""
        with self._uow(read_only=True) as uow:
            tenants = uow.projects.tenant_ids()
            visible = [i for i in issues if _visible(actor, tenants, i.project_id)]
            return _loops(uow, visible)

    def for_issue(self, issue_id: int, actor: Actor) -> IssueLoop | None:
        """One issue's loop (None: none, or an issue the actor may not see)."""
        with self._uow(read_only=True) as uow:
            issue = uow.issues.get(issue_id)
            if issue is None or not _visible(actor, uow.projects.tenant_ids(), issue.project_id):
                return None
            return _loops(uow, [issue]).get(issue_id)

    def open_of_user(
        self, project_ids: Sequence[int], actor: Actor
    ) -> Mapping[int, tuple[PullRequest, ...]]:
        """The actor's own open (and draft) pull requests in each visible project, newest
        first (projects without any are left out)."""
        found: dict[int, tuple[PullRequest, ...]] = {}
        if actor.user_id is None:
            return found
        wanted = set(project_ids)
        with self._uow(read_only=True) as uow:
            mine = [
                p
                for p in uow.pull_requests.list(states=OPEN_STATES)
                if p.user_id == actor.user_id and p.project_id in wanted
            ]
            tenants = uow.projects.tenant_ids() if mine else {}
        for pull in mine:
            if _visible(actor, tenants, pull.project_id):
                found[pull.project_id] = (*found.get(pull.project_id, ()), pull)
        return found


def _visible(actor: Actor, tenants: Mapping[int, int], project_id: int) -> bool:
    tenant_id = tenants.get(project_id)
    return tenant_id is not None and actor.may(Permission.VIEW, tenant_id)


def _loops(uow: UnitOfWork, issues: Sequence[Issue]) -> dict[int, IssueLoop]:
    """Steps are only looked up for issues that have a pull request or a worktree: a step is
    only ever queued for those."""
    ids = {i.id for i in issues if i.id is not None}
    pulls: dict[int, list[PullRequest]] = {}
    worked: set[int] = set()
    for project_id in dict.fromkeys(i.project_id for i in issues):
        for pull in uow.pull_requests.list(project_id=project_id):
            if pull.issue_id in ids:
                pulls.setdefault(pull.issue_id, []).append(pull)
        worked.update(
            w.issue_id for w in uow.worktrees.list(project_id=project_id) if w.issue_id in ids
        )
    found: dict[int, IssueLoop] = {}
    for issue_id in sorted(worked | pulls.keys()):
        mine = tuple(pulls.get(issue_id, ()))
        steps = {s.id: s for s in uow.loop_steps.list(issue_id=issue_id)}
        for pull in mine:
            steps.update((s.id, s) for s in uow.loop_steps.list(pull_request_id=pull.id))
        loop = IssueLoop(pulls=mine, trouble=latest_trouble(steps.values()))
        if loop.pulls or loop.trouble is not None:
            found[issue_id] = loop
    return found
