"""Reading GitHub's pull requests, reviews, check runs and review threads into RemotePull.

Review state: per reviewer, the latest of their APPROVED / CHANGES_REQUESTED / DISMISSED
reviews counts (a dismissed review counts for nothing); any CHANGES_REQUESTED wins, else any
APPROVED, else COMMENTED if any review was left, else NONE.

Checks (the head commit's latest check run per name): any queued or in progress -> PENDING,
else any conclusion failure / timed_out / cancelled / action_required / startup_failure ->
FAILING, else PASSING; no check runs -> NONE. The failing ones are named whatever the state,
and the summary counts them ("2 passing, 1 failing, 1 pending").

Unresolved review comments: the first comment of each review thread not resolved, as GitHub's
GraphQL API gives them (up to 100 threads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiops.adapters.trackers.payloads import Payload
from aiops.domain.model.pull_requests import (
    ChecksState,
    PullState,
    RemotePull,
    ReviewComment,
    ReviewState,
)
from aiops.domain.model.trackers import TrackerError

GITHUB = Payload("GitHub")
FAILED = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})
VERDICTS = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
THREADS_QUERY = (
    "query($owner:String!,$name:String!,$number:Int!){repository(owner:$owner,name:$name)"
    "{pullRequest(number:$number){reviewThreads(first:100){nodes{isResolved "
    "comments(first:1){nodes{databaseId path line originalLine author{login} body}}}}}}}"
)


def pull_from_github(item: object) -> RemotePull:
    """A pull request of `GET /pulls/{n}` (or of a list, or of `POST /pulls`), without its
    reviews and checks."""
    pull = GITHUB.mapping(item, "a pull request")
    what = "a pull request"
    state = GITHUB.field(pull, "state", str, what)
    merged = pull.get("merged") is True or pull.get("merged_at") is not None
    if state == "open":
        remote_state = PullState.DRAFT if pull.get("draft") is True else PullState.OPEN
    elif state == "closed":
        remote_state = PullState.MERGED if merged else PullState.CLOSED
    else:
        raise TrackerError(f"GitHub sent a pull request whose state is {state[:20]!r}")
    head = GITHUB.mapping(pull.get("head"), "a pull request's head")
    base = GITHUB.mapping(pull.get("base"), "a pull request's base")
    sha = head.get("sha")
    return RemotePull(
        number=GITHUB.field(pull, "number", int, what),
        url=GITHUB.field(pull, "html_url", str, what),
        head=GITHUB.field(head, "ref", str, what),
        base=GITHUB.field(base, "ref", str, what),
        title=GITHUB.field(pull, "title", str, what),
        state=remote_state,
        head_sha=sha if isinstance(sha, str) else "",
    )


def review_state(reviews: Iterable[object]) -> ReviewState:
    latest: dict[str, str] = {}
    commented = False
    for item in reviews:
        review = GITHUB.mapping(item, "a review")
        state = GITHUB.field(review, "state", str, "a review")
        user = review.get("user")
        login = user.get("login") if isinstance(user, Mapping) else None
        if state == "COMMENTED":
            commented = True
        elif state in VERDICTS:
            latest[str(login)] = state
    verdicts = set(latest.values())
    if "CHANGES_REQUESTED" in verdicts:
        return ReviewState.CHANGES_REQUESTED
    if "APPROVED" in verdicts:
        return ReviewState.APPROVED
    return ReviewState.COMMENTED if commented else ReviewState.NONE


def checks_of(payload: object) -> tuple[ChecksState, str, tuple[str, ...]]:
    """(state, summary, failing names) of `GET /commits/{sha}/check-runs`."""
    answer = GITHUB.mapping(payload, "a list of check runs")
    runs = GITHUB.field(answer, "check_runs", list, "a list of check runs")
    passing = pending = 0
    failing: list[str] = []
    for item in runs:
        run = GITHUB.mapping(item, "a check run")
        if GITHUB.field(run, "status", str, "a check run") != "completed":
            pending += 1
        elif run.get("conclusion") in FAILED:
            failing.append(GITHUB.field(run, "name", str, "a check run"))
        else:
            passing += 1
    if not runs:
        return ChecksState.NONE, "", ()
    if pending:
        state = ChecksState.PENDING
    elif failing:
        state = ChecksState.FAILING
    else:
        state = ChecksState.PASSING
    counts = (("passing", passing), ("failing", len(failing)), ("pending", pending))
    summary = ", ".join(f"{n} {word}" for word, n in counts if n)
    return state, summary, tuple(failing)


def unresolved_of(payload: object, host: str) -> tuple[ReviewComment, ...]:
    """The first comment of each unresolved thread of the GraphQL answer."""
    answer = GITHUB.mapping(payload, "a GraphQL answer")
    errors = answer.get("errors")
    if errors:
        texts = (
            [str(e.get("message", "")) for e in errors if isinstance(e, Mapping)]
            if isinstance(errors, list)
            else []
        )
        reason = " ".join(" ".join(texts).split())[:200] or "no reason given"
        raise TrackerError(f"{host}: GitHub's GraphQL API refused the review threads: {reason}")
    data = GITHUB.mapping(answer.get("data"), "a GraphQL answer's data")
    repository = GITHUB.mapping(data.get("repository"), "a repository")
    pull = GITHUB.mapping(repository.get("pullRequest"), "a pull request")
    threads = GITHUB.mapping(pull.get("reviewThreads"), "review threads")
    found: list[ReviewComment] = []
    for item in GITHUB.field(threads, "nodes", list, "review threads"):
        thread = GITHUB.mapping(item, "a review thread")
        if thread.get("isResolved") is True:
            continue
        comments = GITHUB.mapping(thread.get("comments"), "a thread's comments")
        nodes = GITHUB.field(comments, "nodes", list, "a thread's comments")
        if not nodes:
            continue
        comment = GITHUB.mapping(nodes[0], "a review comment")
        line = comment.get("line")
        if not isinstance(line, int) or isinstance(line, bool):
            line = comment.get("originalLine")
        author = comment.get("author")
        login = author.get("login") if isinstance(author, Mapping) else None
        ident = comment.get("databaseId")
        path = comment.get("path")
        found.append(
            ReviewComment(
                path=path if isinstance(path, str) else "",
                line=line if isinstance(line, int) and not isinstance(line, bool) else None,
                author=login if isinstance(login, str) else "ghost",
                body=GITHUB.field(comment, "body", str, "a review comment"),
                id="" if ident is None else str(ident),
            )
        )
    return tuple(found)
