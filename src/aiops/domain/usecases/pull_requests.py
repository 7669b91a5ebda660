"""The issue-to-PR loop (issue 19): open the pull request of an issue's worktree, comment on the
issue, keep the pull requests in sync, send a review back to the agent.

Every write to the outside world is a LoopStep, queued under a key that names what it does
(model/pull_requests.py): queueing the same key again never makes a second step. A step is
claimed (a lease) before it runs, so two runners never run one step; a tracker fault leaves it
pending with a backoff until MAX_ATTEMPTS, a refusal fails it at once. Each step is written so
that running it again after a lost answer does nothing twice: the pull request is looked up by
its head branch before one is opened, a comment by its hidden marker before one is posted.

OpenPullRequest and ReviewToAgent check who may ask, queue their step and run it at once;
SyncPullRequests refreshes the open pull requests and queues what their changes ask for;
RunLoopSteps (the runner thread, the `pr-loop` job) runs what is due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import attrs

from aiops.domain.errors import Conflict, DomainError, NotFound, ValidationError
from aiops.domain.model.access import SYSTEM, Actor, Permission, may_act_for
from aiops.domain.model.projects import Project
from aiops.domain.model.pull_requests import (
    NOTHING_TO_PROPOSE,
    CommentEvent,
    LoopStep,
    NoCodeHost,
    NothingToPropose,
    PullRequest,
    PullRequestMissing,
    PullState,
    RemotePull,
    StepKind,
    StepState,
    code_host_for,
    comment_body,
    comment_key,
    found_again,
    has_review_work,
    marker,
    open_key,
    pr_body,
    pr_title,
    rearmed,
    review_key,
    review_prompt,
    review_text,
    step_after,
    sync_effects,
)
from aiops.domain.model.sessions import AgentSession
from aiops.domain.model.tenants import Tenant
from aiops.domain.model.trackers import (
    Issue,
    Provider,
    TrackerAuthFailed,
    TrackerConnection,
    TrackerError,
    TrackerNotFound,
    TrackerRateLimited,
)
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import RemoteFailed
from aiops.domain.model.worktrees import Worktree
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import actor_for, require_project, require_user
from aiops.domain.usecases._tmux_view import server_of, servers_of
from aiops.domain.usecases._workspace import LocateWorkspace, WorkspaceRef
from aiops.domain.usecases.agent_context import PopulateCommand
from aiops.domain.usecases.sessions import LaunchResult, LaunchSessionCommand
from aiops.domain.usecases.trackers import target
from aiops.ports.clock import Clock
from aiops.ports.code_hosts import CodeHost, IssueComments
from aiops.ports.git_workspaces import GitWorkspaces, WorkTree
from aiops.ports.git_worktrees import GitWorktrees
from aiops.ports.linux_users import LinuxUsers
from aiops.ports.locks import KeyedLocks
from aiops.ports.secret_box import SecretBox
from aiops.ports.tmux import TmuxServer, TmuxSessions
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

LEASE = timedelta(seconds=60)  # a claimed step is due again after this (its runner died)
DEFAULT_TOOL = "codex"
LIVE = (PullState.OPEN, PullState.DRAFT)
_ACTIONS = {
    StepKind.OPEN_PULL_REQUEST: "pull_request.opened",
    StepKind.COMMENT: "pull_request.commented",
    StepKind.REVIEW_TO_AGENT: "pull_request.review_sent",
}


@attrs.frozen(kw_only=True)
class StepOutcome:
    step: LoopStep  # DONE, or PENDING with last_error (will be retried), or FAILED
    pull_request: PullRequest | None


@attrs.frozen(kw_only=True)
class _Done:
    result: str
    pull: PullRequest | None = None
    detail: Mapping[str, str | int | bool] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class _Opening:
    """What the open step reads before it works: all from one transaction."""

    issue: Issue
    user: User
    project: Project
    worktree: Worktree
    host: TrackerConnection
    tool: str | None


class _Unexpected(DomainError):
    """A try broke on something that is no domain error (a bug, the database, the system)."""


def _retry(error: DomainError) -> tuple[bool, datetime | None]:
    """(final, resume_at) for a failed try: tracker faults, unreachable remotes and the
    unexpected are tried again; a refusal (auth, missing repository, push rejected, nothing
    to push...) is final."""
    if isinstance(error, TrackerRateLimited):
        return False, error.resume_at
    if isinstance(error, TrackerAuthFailed | TrackerNotFound):
        return True, None
    return not isinstance(error, TrackerError | RemoteFailed | _Unexpected), None


def _tenant_slug(uow: UnitOfWork, project_id: int) -> str | None:
    project = uow.projects.get(project_id)
    tenant = uow.tenants.get(project.tenant_id) if project else None
    return tenant.slug if tenant else None


def _issue_worktree(uow: UnitOfWork, issue: Issue, user_id: int) -> Worktree | None:
    found = [
        w
        for w in uow.worktrees.list(project_id=issue.project_id, user_id=user_id)
        if w.issue_id == issue.id
    ]
    return found[-1] if found else None


def _last_session(
    uow: UnitOfWork, project_id: int, user_id: int, issue_id: int | None, *, live: bool = False
) -> AgentSession | None:
    found = [
        s
        for s in uow.agent_sessions.list(project_id=project_id, user_id=user_id, live=live)
        if s.issue_id == issue_id
    ]
    return found[-1] if found else None


class LoopStepRunner:
    """Runs one step: claims it, tries it, records what the try left (done, pending again
    after a backoff, or failed) and audits it. Shared by every use case below."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_box: SecretBox,
        code_hosts: Mapping[Provider, CodeHost],
        comments: Mapping[Provider, IssueComments],
        git: GitWorkspaces,
        worktrees: GitWorktrees,
        locate: LocateWorkspace,
        locks: KeyedLocks,
        tmux: TmuxSessions,
        linux_users: LinuxUsers,
        launch: Callable[[LaunchSessionCommand], LaunchResult],
        populate: Callable[[PopulateCommand], object],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._code_hosts = code_hosts
        self._comments = comments
        self._git = git
        self._worktrees = worktrees
        self._locate = locate
        self._locks = locks
        self._tmux = tmux
        self._linux_users = linux_users
        self._launch = launch
        self._populate = populate

    def claim(self, step: LoopStep) -> LoopStep | None:
        """The step, leased to this runner, when it is still pending, due and not tried since
        it was read; else None (another runner has it: its lease moved next_attempt_at on)."""
        now = self._clock.now()
        with self._uow() as uow:
            current = uow.loop_steps.get(step.id or 0)
            if (
                current is None
                or current.state is not StepState.PENDING
                or current.attempts != step.attempts
                or current.next_attempt_at > now
            ):
                return None
            claimed = uow.loop_steps.update(attrs.evolve(current, next_attempt_at=now + LEASE))
            uow.commit()
        return claimed

    def run(self, step: LoopStep) -> tuple[StepOutcome, DomainError | None] | None:
        """Claim and try the step: its outcome and the error of the try; None when it could
        not be claimed."""
        claimed = self.claim(step)
        if claimed is None:
            return None
        done: _Done | None = None
        error: DomainError | None = None
        try:
            done = self._attempt(claimed)
        except DomainError as failed:
            error = failed
            if isinstance(failed, NothingToPropose) and claimed.params.get("auto"):
                done, error = _Done(result=NOTHING_TO_PROPOSE), None
        except Exception as broken:  # a bug: the step is retried later, the caller sees it
            unexpected = _Unexpected(f"unexpected {type(broken).__name__} (see the server's log)")
            self._record(claimed, None, unexpected)
            raise
        return self._record(claimed, done, error), error

    def _attempt(self, step: LoopStep) -> _Done:
        if step.kind is StepKind.OPEN_PULL_REQUEST:
            return self._open(step)
        if step.kind is StepKind.COMMENT:
            return self._comment(step)
        return self._review(step)

    def _record(self, step: LoopStep, done: _Done | None, error: DomainError | None) -> StepOutcome:
        now = self._clock.now()
        if done is not None:
            after = step_after(step, None, now, result=done.result)
        else:
            assert error is not None
            final, resume_at = _retry(error)
            after = step_after(step, error.message, now, final=final, resume_at=resume_at)
        pull = done.pull if done else None
        with self._uow() as uow:
            after = uow.loop_steps.update(after)
            if pull is None and after.pull_request_id is not None:
                pull = uow.pull_requests.get(after.pull_request_id)
            if after.state is not StepState.PENDING:
                self._audit(uow, after, pull, done)
            uow.commit()
        return StepOutcome(step=after, pull_request=pull)

    def _audit(
        self, uow: UnitOfWork, step: LoopStep, pull: PullRequest | None, done: _Done | None
    ) -> None:
        issue = uow.issues.get(step.issue_id) if step.issue_id else None
        project_id = pull.project_id if pull else issue.project_id if issue else None
        detail: dict[str, str | int | bool] = {"step": step.key}
        if done is not None:
            detail |= {"result": done.result, **done.detail}
        else:
            detail |= {"error": step.last_error or "", "attempts": step.attempts}
        record(
            uow,
            self._clock,
            actor=step.actor,
            action=_ACTIONS[step.kind] if done else "pull_request.step_failed",
            target=f"pull_request:{pull.id}" if pull else f"issue:{step.issue_id}",
            tenant=_tenant_slug(uow, project_id) if project_id else None,
            **detail,
        )

    # --- open: push, find or open the pull request, record it, queue the comment ---------

    def _opening(self, step: LoopStep) -> _Opening:
        with self._uow(read_only=True) as uow:
            issue = uow.issues.get(step.issue_id or 0)
            user = uow.users.get(step.user_id or 0)
            project = uow.projects.get(issue.project_id) if issue else None
            if issue is None or user is None or project is None:
                raise NotFound("the issue or its user no longer exists")
            assert user.id is not None
            worktree = _issue_worktree(uow, issue, user.id)
            if worktree is None:
                raise Conflict(
                    f"{user.email} has no worktree for the issue: start work on it first"
                )
            host = code_host_for(uow.trackers.list(project.id), project.repo_url)
            session = _last_session(uow, project.id or 0, user.id, issue.id)
        tool = session.tool.value if session else None
        return _Opening(
            issue=issue, user=user, project=project, worktree=worktree, host=host, tool=tool
        )

    def _open(self, step: LoopStep) -> _Done:
        o = self._opening(step)
        ref = WorkspaceRef(
            project_id=o.project.id or 0, user_email=o.user.email, actor=Actor.system(step.actor)
        )
        where = self._locate(ref, Permission.USE)
        tree = WorkTree(Path(o.worktree.path), where.account)
        with self._locks.hold(where.path):
            commits = self._worktrees.commits_ahead(tree, f"origin/{o.project.default_branch}")
            if not commits:
                raise NothingToPropose(
                    f"{o.worktree.branch} has no commits that {o.project.default_branch} lacks: "
                    f"{NOTHING_TO_PROPOSE}"
                )
            pushed = self._git.push(tree, where.access)
        host = self._code_hosts.get(o.host.provider)
        if host is None:
            raise NoCodeHost(f"aiops cannot open pull requests on {o.host.provider.value}")
        at = target(o.host, self._box)
        remote = host.find_pull(at, head=o.worktree.branch)
        if remote is not None and remote.state.ended and remote.head_sha == pushed.head:
            raise NothingToPropose(  # the same commits as a pull request that ended
                f"{remote.url} is {remote.state.value} and the branch has nothing new since: "
                f"{NOTHING_TO_PROPOSE}"
            )
        reused = remote is not None and not remote.state.ended
        if remote is None or remote.state.ended:
            body = pr_body(o.issue, o.host, commits, user_email=o.user.email, tool=o.tool)
            remote = host.open_pull(
                at,
                head=o.worktree.branch,
                base=o.project.default_branch,
                title=pr_title(o.issue),
                body=body,
                draft=bool(step.params.get("draft")),
            )
        pull = self._keep(step, o, remote)
        detail = {"number": remote.number, "commits": len(commits), "reused": reused}
        return _Done(result=remote.url, pull=pull, detail=detail)

    def _keep(self, step: LoopStep, o: _Opening, remote: RemotePull) -> PullRequest:
        """Record (or refresh) the pull request and queue the issue's "opened" comment."""
        now = self._clock.now()
        assert o.host.id is not None
        assert o.user.id is not None
        with self._uow() as uow:
            known = uow.pull_requests.get_by_number(o.host.id, remote.number)
            if known is not None:
                pull = uow.pull_requests.update(found_again(known, remote, now))
            else:
                fresh = PullRequest(
                    project_id=o.project.id or 0,
                    connection_id=o.host.id,
                    provider=o.host.provider,
                    issue_id=o.issue.id,
                    user_id=o.user.id,
                    number=remote.number,
                    url=remote.url,
                    head=remote.head,
                    base=remote.base,
                    title=remote.title,
                    state=remote.state,
                    created_at=now,
                    updated_at=now,
                )
                pull = uow.pull_requests.add(fresh.synced(remote, now))
            _queue_comment(uow, pull, CommentEvent.OPENED, now, actor=step.actor)
            uow.commit()
        return pull

    # --- comment on the issue: looked up by its marker before it is posted ---------------

    def _comment(self, step: LoopStep) -> _Done:
        with self._uow(read_only=True) as uow:
            pull = uow.pull_requests.get(step.pull_request_id or 0)
            issue = uow.issues.get(pull.issue_id) if pull and pull.issue_id else None
            connection = uow.trackers.get(issue.connection_id) if issue else None
        if pull is None or issue is None or connection is None:
            return _Done(result="the pull request or its issue is gone", pull=pull)
        comments = self._comments.get(connection.provider)
        if comments is None:
            raise TrackerError(f"aiops cannot comment on {connection.provider.value} issues")
        at = target(connection, self._box)
        number = issue.remote.number
        found = comments.find_comment(at, number, marker(step.key))
        if found is None:
            event = CommentEvent(str(step.params.get("event", CommentEvent.OPENED.value)))
            found = comments.add_comment(at, number, comment_body(event, pull.url, step.key))
        return _Done(result=found, pull=pull, detail={"issue": number})

    # --- review: into AGENTS.override.md, then a prompt in the pane (or a relaunch) ------

    def _review(self, step: LoopStep) -> _Done:
        with self._uow(read_only=True) as uow:
            pull = uow.pull_requests.get(step.pull_request_id or 0)
            issue = uow.issues.get(pull.issue_id) if pull and pull.issue_id else None
            user = uow.users.get(pull.user_id) if pull else None
            worktree = _issue_worktree(uow, issue, pull.user_id) if pull and issue else None
            live = (
                _last_session(uow, issue.project_id, pull.user_id, issue.id, live=True)
                if pull and issue
                else None
            )
            last = (
                _last_session(uow, issue.project_id, pull.user_id, issue.id)
                if pull and issue
                else None
            )
        if pull is None or issue is None or user is None or worktree is None:
            raise NotFound("the pull request, its issue, user or worktree no longer exists")
        if not has_review_work(pull):
            return _Done(result="nothing to send", pull=pull)
        actor = Actor.system(step.actor)
        self._populate(
            PopulateCommand(
                issue_id=issue.id or 0,
                user_email=user.email,
                actor=actor,
                worktree=worktree.path,
                review=review_text(pull),
            )
        )
        result = self._prompt(pull, live, last, user, actor)
        return _Done(
            result=result,
            pull=pull,
            detail={"comments": len(pull.unresolved), "failing": len(pull.failing_checks)},
        )

    def _prompt(
        self,
        pull: PullRequest,
        live: AgentSession | None,
        last: AgentSession | None,
        user: User,
        actor: Actor,
    ) -> str:
        """Type the prompt into the live session's pane; relaunch the agent when none runs."""
        if live is not None and self._type(live, pull):
            return f"sent to session {live.id}"
        tool = last.tool.value if last else DEFAULT_TOOL
        launched = self._launch(
            LaunchSessionCommand(project_id=pull.project_id, tool=tool, user_email=user.email,
                                 issue_id=pull.issue_id, actor=actor)
        )  # fmt: skip
        self._type(launched.session, pull)  # a fresh window too: the tool reads it once up
        verb = "relaunched as" if launched.created else "sent to"
        return f"{verb} session {launched.session.id}"

    def _type(self, session: AgentSession, pull: PullRequest) -> bool:
        """The prompt typed into the session's pane; False when its window cannot be reached
        (its account is gone, or the window went before the record knew)."""
        server = self._server(session)
        if server is None:
            return False
        try:
            self._tmux.send_text(
                server, session.tmux_session, session.tmux_window, review_prompt(pull)
            )
        except DomainError:
            return False
        return True

    def _server(self, session: AgentSession) -> TmuxServer | None:
        return server_of(servers_of(self._linux_users, [session]), session)


def _queue_comment(
    uow: UnitOfWork, pull: PullRequest, event: CommentEvent, now: datetime, *, actor: str
) -> LoopStep:
    assert pull.id is not None
    return uow.loop_steps.add(
        LoopStep(
            kind=StepKind.COMMENT,
            key=comment_key(pull.id, event),
            issue_id=pull.issue_id,
            pull_request_id=pull.id,
            user_id=pull.user_id,
            params={"event": event.value},
            actor=actor,
            next_attempt_at=now,
            created_at=now,
        )
    )


def _queue_review(uow: UnitOfWork, pull: PullRequest, now: datetime, *, actor: str) -> LoopStep:
    """A new review step (each request is one: the key counts them)."""
    assert pull.id is not None
    n = 1 + sum(
        1
        for s in uow.loop_steps.list(pull_request_id=pull.id)
        if s.kind is StepKind.REVIEW_TO_AGENT
    )
    return uow.loop_steps.add(
        LoopStep(
            kind=StepKind.REVIEW_TO_AGENT,
            key=review_key(pull.id, n),
            issue_id=pull.issue_id,
            pull_request_id=pull.id,
            user_id=pull.user_id,
            actor=actor,
            next_attempt_at=now,
            created_at=now,
        )
    )


def _queue_open(
    uow: UnitOfWork,
    issue_id: int,
    user_id: int,
    now: datetime,
    *,
    actor: str,
    params: Mapping[str, str | int | bool],
) -> LoopStep:
    """The open step of (issue, user): a new one, or the known one asked for again."""
    key = open_key(issue_id, user_id)
    known = uow.loop_steps.get_by_key(key)
    if known is None:
        return uow.loop_steps.add(
            LoopStep(
                kind=StepKind.OPEN_PULL_REQUEST,
                key=key,
                issue_id=issue_id,
                user_id=user_id,
                params=dict(params),
                actor=actor,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if known.state is StepState.PENDING:
        return known
    return uow.loop_steps.update(
        attrs.evolve(rearmed(known, now, actor=actor), params=dict(params))
    )


def queue_after_finished(uow: UnitOfWork, session: AgentSession, now: datetime) -> LoopStep | None:
    """In the transaction recording a session's turn to FINISHED: queue the open step of its
    issue when its project's auto_pull_request is on (automatic: "nothing to propose" is no
    error). None when nothing was queued."""
    if session.issue_id is None:
        return None
    project = uow.projects.get(session.project_id)
    issue = uow.issues.get(session.issue_id)
    if project is None or issue is None or not project.auto_pull_request:
        return None
    return _queue_open(
        uow, session.issue_id, session.user_id, now, actor=SYSTEM.name, params={"auto": True}
    )


def _require_acting(uow: UnitOfWork, actor: Actor, user: User, tenant: Tenant) -> None:
    """Members for their own work, owners (MANAGE) for anyone's in their tenant; viewers
    see only (PermissionDenied). The user must be able to use the project too."""
    if may_act_for(actor, user.id):
        actor.require(Permission.USE, tenant)
    else:
        actor.require(Permission.MANAGE, tenant)
    actor_for(uow, user).require(Permission.USE, tenant, f"user {user.email} is not a member")


def _open_user(uow: UnitOfWork, issue: Issue, cmd: OpenPullRequestCommand) -> User:
    """Whose worktree: the one named, the actor, or (the CLI) the issue's only worktree owner."""
    if cmd.user_email:
        return require_user(uow, cmd.user_email)
    if cmd.actor.user_id is not None:
        user = uow.users.get(cmd.actor.user_id)
        if user is not None:
            return user
    owners = sorted(
        {
            w.user_id
            for w in uow.worktrees.list(project_id=issue.project_id)
            if w.issue_id == issue.id
        }
    )
    if len(owners) > 1:
        raise ValidationError("user_email", "several users work on this issue: name one")
    user = uow.users.get(owners[0]) if owners else None
    if user is None:
        raise Conflict("nobody has a worktree for this issue: start work on the issue first")
    return user


def _visible_issue(uow: UnitOfWork, issue_id: int, actor: Actor) -> tuple[Issue, Tenant]:
    issue = uow.issues.get(issue_id)
    if issue is None:
        raise NotFound(f"issue {issue_id} does not exist")
    try:
        _, tenant = require_project(uow, issue.project_id, actor)
    except NotFound:
        raise NotFound(f"issue {issue_id} does not exist") from None
    return issue, tenant


@attrs.frozen(kw_only=True)
class OpenPullRequestCommand:
    issue_id: int
    draft: bool = False
    user_email: str | None = None  # whose worktree; None: the actor's own, else (CLI/system)
    # the issue's only worktree owner
    actor: Actor = SYSTEM


class OpenPullRequest:
    """Push the issue's worktree branch and open its pull request (or find the open one and
    refresh it), then comment on the issue. Refusals raise; tracker faults leave the step
    pending (retried by the runner) and are in the outcome."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, runner: LoopStepRunner) -> None:
        self._uow = uow
        self._clock = clock
        self._runner = runner

    def __call__(self, cmd: OpenPullRequestCommand) -> StepOutcome:
        now = self._clock.now()
        with self._uow() as uow:
            issue, tenant = _visible_issue(uow, cmd.issue_id, cmd.actor)
            user = _open_user(uow, issue, cmd)
            _require_acting(uow, cmd.actor, user, tenant)
            assert user.id is not None
            if _issue_worktree(uow, issue, user.id) is None:
                raise Conflict(f"{user.email} has no worktree for this issue: start work first")
            step = _queue_open(
                uow, cmd.issue_id, user.id, now, actor=cmd.actor.name, params={"draft": cmd.draft}
            )
            uow.commit()
        ran = self._runner.run(step)
        if ran is None:  # a runner has it now
            return StepOutcome(step=step, pull_request=None)
        outcome, error = ran
        if error is not None and not isinstance(error, TrackerError | RemoteFailed):
            raise error
        if outcome.pull_request is not None and outcome.pull_request.id is not None:
            self._comment_now(outcome.pull_request.id)
        return outcome

    def _comment_now(self, pull_request_id: int) -> None:
        """The "opened" comment at once (its faults are the runner's to retry)."""
        with self._uow(read_only=True) as uow:
            step = uow.loop_steps.get_by_key(comment_key(pull_request_id, CommentEvent.OPENED))
        if step is not None and step.state is StepState.PENDING:
            self._runner.run(step)


@attrs.frozen(kw_only=True)
class ReviewToAgentCommand:
    pull_request_id: int
    actor: Actor = SYSTEM


class ReviewToAgent:
    """Send a pull request's unresolved review comments and failing checks to its agent:
    into the worktree's AGENTS.override.md, and a one-line prompt in its pane (or the agent
    relaunched). Conflict when there is nothing to send."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, runner: LoopStepRunner) -> None:
        self._uow = uow
        self._clock = clock
        self._runner = runner

    def __call__(self, cmd: ReviewToAgentCommand) -> StepOutcome:
        missing = PullRequestMissing(f"pull request {cmd.pull_request_id} does not exist")
        with self._uow() as uow:
            pull = uow.pull_requests.get(cmd.pull_request_id)
            user = uow.users.get(pull.user_id) if pull else None
            if pull is None or user is None:
                raise missing
            try:
                _, tenant = require_project(uow, pull.project_id, cmd.actor)
            except NotFound:
                raise missing from None
            _require_acting(uow, cmd.actor, user, tenant)
            if not has_review_work(pull):
                raise Conflict("nothing to send: no unresolved comments or failing checks")
            step = _queue_review(uow, pull, self._clock.now(), actor=cmd.actor.name)
            uow.commit()
        ran = self._runner.run(step)
        if ran is None:
            return StepOutcome(step=step, pull_request=pull)
        outcome, error = ran
        if error is not None and not isinstance(error, TrackerError):
            raise error
        return outcome


@attrs.frozen(kw_only=True)
class ListPullRequestsCommand:
    project_id: int | None = None
    issue_id: int | None = None
    actor: Actor = SYSTEM


class ListPullRequests:
    """The pull requests the actor may see (their projects' tenants), newest first."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, cmd: ListPullRequestsCommand) -> list[PullRequest]:
        with self._uow(read_only=True) as uow:
            if cmd.project_id is not None:
                require_project(uow, cmd.project_id, cmd.actor)
            if cmd.issue_id is not None:
                _visible_issue(uow, cmd.issue_id, cmd.actor)
            tenants = uow.projects.tenant_ids()
            return [
                p
                for p in uow.pull_requests.list(project_id=cmd.project_id, issue_id=cmd.issue_id)
                if p.project_id in tenants and cmd.actor.may(Permission.VIEW, tenants[p.project_id])
            ]


@attrs.frozen(kw_only=True)
class ListLoopStepsCommand:
    issue_id: int | None = None  # one of the two
    pull_request_id: int | None = None
    actor: Actor = SYSTEM


class ListLoopSteps:
    """The steps of an issue or of a pull request the actor may see, newest first (what the
    pages show: `step_trouble` picks the error to show on the issue)."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, cmd: ListLoopStepsCommand) -> list[LoopStep]:
        if (cmd.issue_id is None) == (cmd.pull_request_id is None):
            raise ValidationError("issue_id", "give either an issue or a pull request")
        with self._uow(read_only=True) as uow:
            if cmd.issue_id is not None:
                _visible_issue(uow, cmd.issue_id, cmd.actor)
                return list(uow.loop_steps.list(issue_id=cmd.issue_id))
            pull = uow.pull_requests.get(cmd.pull_request_id or 0)
            missing = PullRequestMissing(f"pull request {cmd.pull_request_id} does not exist")
            if pull is None:
                raise missing
            try:
                require_project(uow, pull.project_id, cmd.actor)
            except NotFound:
                raise missing from None
            return list(uow.loop_steps.list(pull_request_id=pull.id))


class SyncPullRequests:
    """Refresh every open or draft pull request (of one connection) from its code host; a
    merge or close queues the issue's comment, a "changes requested" review (or new comments
    with it) a review step when the project's auto_review_to_agent is on. One pull request's
    fault never stops the others."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_box: SecretBox,
        code_hosts: Mapping[Provider, CodeHost],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._code_hosts = code_hosts

    def __call__(self, connection_id: int | None = None) -> int:
        with self._uow(read_only=True) as uow:
            pulls = uow.pull_requests.list(connection_id=connection_id, states=LIVE)
            connections = {c.id: c for c in uow.trackers.list()}
        refreshed = 0
        for pull in pulls:
            connection = connections.get(pull.connection_id)
            host = self._code_hosts.get(pull.provider)
            if connection is None or host is None:
                continue
            try:
                remote = host.pull(target(connection, self._box), pull.number)
            except DomainError:
                continue  # tried again at the next sync; the record keeps what it knew
            refreshed += self._store(pull, remote)
        return refreshed

    def _store(self, pull: PullRequest, remote: RemotePull) -> int:
        now = self._clock.now()
        with self._uow() as uow:
            current = uow.pull_requests.get(pull.id or 0)
            project = uow.projects.get(pull.project_id)
            if current is None or project is None:
                return 0
            after = uow.pull_requests.update(current.synced(remote, now))
            effects = sync_effects(current, after)
            if effects.comment is not None:
                _queue_comment(uow, after, effects.comment, now, actor=SYSTEM.name)
            if effects.review and project.auto_review_to_agent:
                _queue_review(uow, after, now, actor=SYSTEM.name)
            uow.commit()
        return 1


class RunLoopSteps:
    """Run the due steps, one by one (each claimed first), including those the runs queue;
    how many ran."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, runner: LoopStepRunner) -> None:
        self._uow = uow
        self._clock = clock
        self._runner = runner

    def __call__(self, limit: int = 20) -> int:
        """A step that breaks (a bug, not a fault) does not stop the others: the first such
        error is raised once they have run (the runner thread logs it)."""
        ran = 0
        broken: Exception | None = None
        while ran < limit:
            with self._uow(read_only=True) as uow:
                due: Sequence[LoopStep] = uow.loop_steps.due(self._clock.now(), limit - ran)
            this_round = 0
            for step in due:
                try:
                    this_round += self._runner.run(step) is not None
                except Exception as error:  # recorded on the step, retried after its backoff
                    this_round += 1
                    broken = broken or error
            if not this_round:
                break
            ran += this_round
        if broken is not None:
            raise broken
        return ran
