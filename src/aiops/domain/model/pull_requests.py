"""From issue to merged pull request (issue 19): the pull requests aiops opened for issues, as
their code host reports them, and the loop's steps, each done once.

A *pull request* here is a GitHub pull request or a GitLab merge request that aiops opened
from an issue's worktree branch (`aiops/<issue-key-slug>`). The tracker sync and webhooks
keep its state, checks, review state and unresolved review comments up to date.

A *loop step* is one write the loop makes to the outside world: open the pull request (push
first), comment on the issue, send a review back to the agent. Steps are queued with a key
that names what they do ("comment:pr:5:opened"): queueing the same key again never makes a
second step, and a step is retried with backoff until it succeeds or runs out of attempts,
never done twice (a comment is looked up by its marker before it is posted again).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.trackers import Issue, Provider, TrackerConnection

MAX_ATTEMPTS = 6  # then a step is failed for good, and the issue shows its error


class PullState(enum.StrEnum):
    OPEN = "open"
    DRAFT = "draft"
    MERGED = "merged"
    CLOSED = "closed"

    @property
    def ended(self) -> bool:
        return self in (PullState.MERGED, PullState.CLOSED)


class ReviewState(enum.StrEnum):
    NONE = "none"
    COMMENTED = "commented"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class ChecksState(enum.StrEnum):
    NONE = "none"  # no checks ran
    PENDING = "pending"
    PASSING = "passing"
    FAILING = "failing"


@attrs.frozen(kw_only=True)
class ReviewComment:
    """One unresolved review comment: where (file and line; None for a comment on the whole
    change), who, and what it says."""

    path: str
    line: int | None
    author: str
    body: str
    id: str = ""  # the code host's id for it


@attrs.frozen(kw_only=True)
class RemotePull:
    """A pull (merge) request as its code host reports it."""

    number: int  # GitHub's number, GitLab's iid
    url: str
    head: str
    base: str
    title: str
    state: PullState
    review: ReviewState = ReviewState.NONE
    checks: ChecksState = ChecksState.NONE
    checks_summary: str = ""  # e.g. "2 passing, 1 failing"
    failing_checks: tuple[str, ...] = ()  # names of the failing checks
    unresolved: tuple[ReviewComment, ...] = ()
    head_sha: str = ""


@attrs.frozen(kw_only=True)
class PullRequest:
    """A pull request aiops opened for an issue, with what its code host last said."""

    project_id: int
    connection_id: int  # the code host's connection (GitHub or GitLab)
    provider: Provider
    issue_id: int | None
    user_id: int  # whose agent made it
    number: int
    url: str
    head: str
    base: str
    title: str
    state: PullState
    review: ReviewState = ReviewState.NONE
    checks: ChecksState = ChecksState.NONE
    checks_summary: str = ""
    failing_checks: tuple[str, ...] = ()
    unresolved: tuple[ReviewComment, ...] = ()
    head_sha: str = ""
    created_at: datetime
    updated_at: datetime
    id: int | None = None

    def synced(self, remote: RemotePull, now: datetime) -> PullRequest:
        """This record with what the code host says now."""
        return attrs.evolve(
            self,
            url=remote.url,
            title=remote.title,
            state=remote.state,
            review=remote.review,
            checks=remote.checks,
            checks_summary=remote.checks_summary,
            failing_checks=remote.failing_checks,
            unresolved=remote.unresolved,
            head_sha=remote.head_sha,
            updated_at=now,
        )


class StepKind(enum.StrEnum):
    OPEN_PULL_REQUEST = "open-pull-request"  # push the branch, open (or find) the PR
    COMMENT = "comment"  # comment on the issue: the PR opened, merged or closed
    REVIEW_TO_AGENT = "review-to-agent"  # the review into AGENTS.override.md, a prompt


class StepState(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DONE = "done"
    FAILED = "failed"  # out of attempts, or refused for good (last_error says why)


StepParam = str | int | bool


@attrs.frozen(kw_only=True)
class LoopStep:
    kind: StepKind
    key: str  # unique: what the step does, e.g. "open:issue:12:user:3", "comment:pr:5:merged"
    issue_id: int | None = None
    pull_request_id: int | None = None
    user_id: int | None = None  # whose session/worktree the step works with
    params: Mapping[str, StepParam] = attrs.field(factory=dict)
    actor: str = "system"  # who asked (audited as them)
    state: StepState = StepState.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    result: str | None = None  # what it made: a PR's URL, a comment's id
    created_at: datetime
    done_at: datetime | None = None
    id: int | None = None


def step_backoff(attempts: int) -> timedelta:
    """The wait before try `attempts + 1`: 5 s, 15 s, 45 s, ... at most 10 minutes."""
    return timedelta(seconds=min(5 * 3 ** max(attempts - 1, 0), 600))


class NothingToPropose(Conflict):
    """The branch has no commits the default branch lacks."""

    code = "nothing_to_propose"


class NoCodeHost(Conflict):
    """The project has no GitHub or GitLab connection to open a pull request on."""

    code = "no_code_host"


class PullRequestMissing(NotFound):
    code = "pull_request_missing"


# --- The loop's pure decisions: keys, texts, the code host, what a try leaves ---------------

CODE_HOSTS = (Provider.GITHUB, Provider.GITLAB)
TITLE_MAX = 250  # GitHub allows 256 characters, GitLab 255
NOTHING_TO_PROPOSE = "nothing to propose"


class CommentEvent(enum.StrEnum):
    OPENED = "opened"
    MERGED = "merged"
    CLOSED = "closed"


def open_key(issue_id: int, user_id: int) -> str:
    return f"open:issue:{issue_id}:user:{user_id}"


def comment_key(pull_request_id: int, event: CommentEvent) -> str:
    return f"comment:pr:{pull_request_id}:{event.value}"


def review_key(pull_request_id: int, n: int) -> str:
    return f"review:pr:{pull_request_id}:{n}"


def marker(key: str) -> str:
    """The hidden line a comment carries: how a retried step finds the comment it posted."""
    return f"<!-- aiops:{key} -->"


def code_host_for(
    connections: Sequence[TrackerConnection], repo_url: str | None
) -> TrackerConnection:
    """The project's GitHub or GitLab connection; with several, the one whose key appears in
    the repository URL (the longest such key). NoCodeHost when there is none to choose."""
    hosts = [c for c in connections if c.provider in CODE_HOSTS]
    if len(hosts) == 1:
        return hosts[0]
    if not hosts:
        raise NoCodeHost("the project has no GitHub or GitLab connection to open a pull request on")
    url = (repo_url or "").lower()
    named = [c for c in hosts if c.key and c.key.lower() in url]
    if not named:
        keys = ", ".join(sorted(c.key for c in hosts))
        raise NoCodeHost(
            f"the project has several code host connections ({keys}) and its repository URL "
            "names none of them"
        )
    return max(named, key=lambda c: len(c.key))


def pr_title(issue: Issue) -> str:
    """ "<issue title> (#12)" or "(OPS-7)", the title cut to fit."""
    suffix = f" ({issue.remote.number})"
    title = " ".join(issue.remote.title.split()) or "Work on the issue"
    room = TITLE_MAX - len(suffix)
    if len(title) > room:
        title = title[: room - 1].rstrip() + "…"
    return title + suffix


def pr_body(
    issue: Issue,
    code_host: TrackerConnection,
    commits: Sequence[str],
    *,
    user_email: str,
    tool: str | None,
) -> str:
    """Links the issue (`Closes #12` when it lives on the code host's own connection, its URL
    otherwise), lists the commits ("<full sha> <subject>" -> "- <sha7> <subject>") and says
    whose agent made them."""
    if issue.connection_id == code_host.id and issue.provider in CODE_HOSTS:
        link = f"Closes {issue.remote.number}"
    else:
        link = f"Issue: {issue.remote.url or issue.remote.number}"
    lines = [link, "", "Commits:"]
    for commit in commits:
        sha, _, subject = commit.partition(" ")
        lines.append(f"- {sha[:7]} {subject}".rstrip())
    agent = f"{tool} agent" if tool else "agent"
    lines += ["", f"Opened by aiops for {user_email}'s {agent}."]
    return "\n".join(lines)


def comment_body(event: CommentEvent, url: str, key: str) -> str:
    said = {
        CommentEvent.OPENED: f"aiops opened {url} for this issue.",
        CommentEvent.MERGED: f"{url} was merged.",
        CommentEvent.CLOSED: f"{url} was closed without merging.",
    }[event]
    return f"{said}\n\n{marker(key)}"


def _where(comment: ReviewComment) -> str:
    if not comment.path:
        return "(the whole change)"
    return comment.path if comment.line is None else f"{comment.path}:{comment.line}"


def review_text(pull: PullRequest | RemotePull) -> str:
    """The unresolved review comments ("- path:line — @author: body", the body exactly as
    written) and the failing checks, for the worktree's AGENTS.override.md."""
    lines = [f"Pull request: {pull.url}"]
    if pull.unresolved:
        lines += ["", "Unresolved review comments:"]
        lines += [f"- {_where(c)} — @{c.author}: {c.body}" for c in pull.unresolved]
    if pull.failing_checks:
        lines += ["", "Failing checks:"]
        lines += [f"- {name}" for name in pull.failing_checks]
    return "\n".join(lines)


def review_prompt(pull: PullRequest | RemotePull) -> str:
    """The one line typed into the agent's pane."""
    return (
        f"Review of {pull.url}: {len(pull.unresolved)} comment(s) and "
        f"{len(pull.failing_checks)} failing check(s) to address, listed in AGENTS.override.md "
        'under "Review to address". Fix them and commit; aiops pushes.'
    )


def has_review_work(pull: PullRequest | RemotePull) -> bool:
    return bool(pull.unresolved or pull.failing_checks)


def found_again(pull: PullRequest, remote: RemotePull, now: datetime) -> PullRequest:
    """The record refreshed with what a look-up by branch says (state, title, head): such an
    answer carries no review, checks or comments, so the record keeps those until the next
    sync (else the sync would take the same review for a new one)."""
    return attrs.evolve(pull, url=remote.url, title=remote.title, state=remote.state,
                        head_sha=remote.head_sha or pull.head_sha, updated_at=now)  # fmt: skip


@attrs.frozen(kw_only=True)
class SyncEffects:
    """What a refreshed pull request asks of the loop."""

    comment: CommentEvent | None = None  # it was merged or closed
    review: bool = False  # changes were requested (again, or with new comments)


def sync_effects(before: PullRequest, after: PullRequest) -> SyncEffects:
    comment = None
    if after.state.ended and not before.state.ended:
        comment = CommentEvent.MERGED if after.state is PullState.MERGED else CommentEvent.CLOSED
    review = False
    if after.review is ReviewState.CHANGES_REQUESTED and not after.state.ended:
        known = {(c.id, c.path, c.line, c.body) for c in before.unresolved}
        fresh = any((c.id, c.path, c.line, c.body) not in known for c in after.unresolved)
        review = before.review is not ReviewState.CHANGES_REQUESTED or fresh
    return SyncEffects(comment=comment, review=review)


ERROR_MAX = 500


def step_after(
    step: LoopStep,
    error: str | None,
    now: datetime,
    *,
    result: str | None = None,
    final: bool = False,
    resume_at: datetime | None = None,
) -> LoopStep:
    """The step after one try: done; failed for good (`final`: a retry cannot help, or out of
    attempts); or pending again after a backoff (or when the tracker's rate limit resumes)."""
    attempts = step.attempts + 1
    if error is None:
        return attrs.evolve(step, state=StepState.DONE, attempts=attempts, last_error=None,
                            result=result, done_at=now)  # fmt: skip
    error = " ".join(error.split())[:ERROR_MAX] or "failed"
    tried = attrs.evolve(step, attempts=attempts, last_error=error)
    if final or attempts >= MAX_ATTEMPTS:
        return attrs.evolve(tried, state=StepState.FAILED, done_at=now)
    wait = now + step_backoff(attempts)
    return attrs.evolve(tried, next_attempt_at=max(wait, resume_at) if resume_at else wait)


def rearmed(step: LoopStep, now: datetime, *, actor: str) -> LoopStep:
    """A done or failed step asked for again (an explicit request runs again)."""
    if step.state is StepState.PENDING:
        return step
    return attrs.evolve(step, state=StepState.PENDING, attempts=0, next_attempt_at=now,
                        last_error=None, done_at=None, actor=actor)  # fmt: skip


def step_trouble(steps: Sequence[LoopStep]) -> LoopStep | None:
    """What an issue shows of its steps (newest first): the newest failed one, or pending one
    that failed its last try, unless a newer one doing the same is done since (the same key;
    for reviews, any later review of that pull request)."""
    done: set[str] = set()
    for step in steps:
        same = step.key.rsplit(":", 1)[0] if step.kind is StepKind.REVIEW_TO_AGENT else step.key
        if step.state is StepState.DONE:
            done.add(same)
        elif step.last_error and same not in done:
            return step
    return None
