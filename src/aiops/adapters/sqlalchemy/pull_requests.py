"""SqlPullRequestRepository and SqlLoopStepQueue (issue 19): the pull requests aiops opened
and the loop's steps.

Queueing a step is race-safe without a lock: `INSERT ... ON CONFLICT (key) DO NOTHING`, then
the row under that key is read back, so two writers queueing one key (a retried request, the
web server and a job) both get the one step. On PostgreSQL the second insert waits for the
first writer's transaction and then does nothing; SQLite's writing unit of work holds the
write lock from its BEGIN.

Claiming a step (the runner reads it and moves its `next_attempt_at` on, a lease, in one
writing unit of work) is exclusive for the same reasons: on PostgreSQL a writing unit of work
reads a step `FOR UPDATE`, so a second runner's read waits for the first one's lease and sees
it; on SQLite the second one waits at BEGIN.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import ColumnElement, Connection, Insert, Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.engine import READ_ONLY
from aiops.adapters.sqlalchemy.repositories import MAX_ID, _conflict_on_integrity_error, _new_id
from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.pull_requests import (
    ChecksState,
    LoopStep,
    PullRequest,
    PullState,
    ReviewComment,
    ReviewState,
    StepKind,
    StepState,
)
from aiops.domain.model.trackers import Provider

P = t.pull_requests.c
S = t.loop_steps.c


def _is_id(value: int) -> bool:
    """Whether `value` can name a row (ids are 32-bit INTEGER columns on PostgreSQL: a larger
    number would make the driver refuse the query)."""
    return 0 < value <= MAX_ID


def _comment_to_json(comment: ReviewComment) -> dict[str, Any]:
    return {
        "path": comment.path,
        "line": comment.line,
        "author": comment.author,
        "body": comment.body,
        "id": comment.id,
    }


def _comment_from_json(value: dict[str, Any]) -> ReviewComment:
    line = value.get("line")
    return ReviewComment(
        path=str(value.get("path", "")),
        line=None if line is None else int(line),
        author=str(value.get("author", "")),
        body=str(value.get("body", "")),
        id=str(value.get("id", "")),
    )


def pull_request_from_row(row: Row[Any]) -> PullRequest:
    return PullRequest(
        id=row.id,
        project_id=row.project_id,
        connection_id=row.connection_id,
        provider=Provider(row.provider),
        issue_id=row.issue_id,
        user_id=row.user_id,
        number=row.number,
        url=row.url,
        head=row.head,
        base=row.base,
        title=row.title,
        state=PullState(row.state),
        review=ReviewState(row.review),
        checks=ChecksState(row.checks),
        checks_summary=row.checks_summary,
        failing_checks=tuple(str(name) for name in row.failing_checks),
        unresolved=tuple(_comment_from_json(comment) for comment in row.unresolved),
        head_sha=row.head_sha,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _pull_values(pull: PullRequest) -> dict[str, Any]:
    return {
        "project_id": pull.project_id,
        "connection_id": pull.connection_id,
        "provider": pull.provider.value,
        "issue_id": pull.issue_id,
        "user_id": pull.user_id,
        "number": pull.number,
        "url": pull.url,
        "head": pull.head,
        "base": pull.base,
        "title": pull.title,
        "state": pull.state.value,
        "review": pull.review.value,
        "checks": pull.checks.value,
        "checks_summary": pull.checks_summary,
        "failing_checks": list(pull.failing_checks),
        "unresolved": [_comment_to_json(comment) for comment in pull.unresolved],
        "head_sha": pull.head_sha,
        "created_at": pull.created_at,
        "updated_at": pull.updated_at,
    }


def loop_step_from_row(row: Row[Any]) -> LoopStep:
    return LoopStep(
        id=row.id,
        kind=StepKind(row.kind),
        key=row.key,
        issue_id=row.issue_id,
        pull_request_id=row.pull_request_id,
        user_id=row.user_id,
        params=dict(row.params),
        actor=row.actor,
        state=StepState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        result=row.result,
        created_at=row.created_at,
        done_at=row.done_at,
    )


def _step_values(step: LoopStep) -> dict[str, Any]:
    return {
        "kind": step.kind.value,
        "key": step.key,
        "issue_id": step.issue_id,
        "pull_request_id": step.pull_request_id,
        "user_id": step.user_id,
        "params": dict(step.params),
        "actor": step.actor,
        "state": step.state.value,
        "attempts": step.attempts,
        "next_attempt_at": step.next_attempt_at,
        "last_error": step.last_error,
        "result": step.result,
        "created_at": step.created_at,
        "done_at": step.done_at,
    }


class SqlPullRequestRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, pull: PullRequest) -> PullRequest:
        try:
            # A savepoint: a concurrent twin's insert must not abort the caller's transaction,
            # which may go on to read the twin.
            with self._c.begin_nested():
                result = self._c.execute(insert(t.pull_requests).values(_pull_values(pull)))
        except IntegrityError as error:
            if self.get_by_number(pull.connection_id, pull.number) is not None:
                raise Conflict(f"pull request {pull.number} is recorded already") from error
            raise Conflict("pull request conflicts with existing data") from error
        return attrs.evolve(pull, id=_new_id(result))

    def update(self, pull: PullRequest) -> PullRequest:
        if pull.id is None or not _is_id(pull.id):
            raise NotFound(f"pull request {pull.id} does not exist")
        with _conflict_on_integrity_error("pull request"):
            result = self._c.execute(
                update(t.pull_requests).where(P.id == pull.id).values(_pull_values(pull))
            )
        if result.rowcount != 1:
            raise NotFound(f"pull request {pull.id} does not exist")
        return pull

    def get(self, pull_request_id: int) -> PullRequest | None:
        if not _is_id(pull_request_id):
            return None
        row = self._c.execute(select(t.pull_requests).where(P.id == pull_request_id)).first()
        return None if row is None else pull_request_from_row(row)

    def get_by_number(self, connection_id: int, number: int) -> PullRequest | None:
        if not (_is_id(connection_id) and _is_id(number)):
            return None
        query = select(t.pull_requests).where(P.connection_id == connection_id, P.number == number)
        row = self._c.execute(query).first()
        return None if row is None else pull_request_from_row(row)

    def list(
        self,
        *,
        project_id: int | None = None,
        issue_id: int | None = None,
        connection_id: int | None = None,
        states: Collection[PullState] | None = None,
    ) -> Sequence[PullRequest]:
        criteria: list[ColumnElement[bool]] = []
        for column, value in (
            (P.project_id, project_id),
            (P.issue_id, issue_id),
            (P.connection_id, connection_id),
        ):
            if value is not None:
                if not _is_id(value):
                    return []
                criteria.append(column == value)
        if states is not None:
            if not states:
                return []
            criteria.append(P.state.in_(sorted(PullState(state).value for state in states)))
        query = select(t.pull_requests).where(*criteria).order_by(P.id.desc())
        return [pull_request_from_row(row) for row in self._c.execute(query)]


class SqlLoopStepQueue:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, step: LoopStep) -> LoopStep:
        statement = self._insert_unless_keyed(_step_values(step)).returning(S.id)
        with _conflict_on_integrity_error("loop step"):  # e.g. an issue deleted meanwhile
            inserted = self._c.execute(statement).scalar_one_or_none()
        if inserted is not None:
            return attrs.evolve(step, id=int(inserted))
        known = self.get_by_key(step.key)
        if known is None:  # the key's step went between the insert and the read: never
            raise Conflict(f"step {step.key} conflicts with existing data")
        return known

    def _insert_unless_keyed(self, values: dict[str, Any]) -> Insert:
        if self._c.dialect.name == "postgresql":
            return (
                postgresql.insert(t.loop_steps)
                .values(values)
                .on_conflict_do_nothing(index_elements=[S.key])
            )
        return (
            sqlite.insert(t.loop_steps)
            .values(values)
            .on_conflict_do_nothing(index_elements=[S.key])
        )

    def update(self, step: LoopStep) -> LoopStep:
        if step.id is None or not _is_id(step.id):
            raise NotFound(f"step {step.id} does not exist")
        with _conflict_on_integrity_error("loop step"):
            result = self._c.execute(
                update(t.loop_steps).where(S.id == step.id).values(_step_values(step))
            )
        if result.rowcount != 1:
            raise NotFound(f"step {step.id} does not exist")
        return step

    def get(self, step_id: int) -> LoopStep | None:
        if not _is_id(step_id):
            return None
        return self._one(S.id == step_id)

    def get_by_key(self, key: str) -> LoopStep | None:
        return self._one(S.key == key)

    def _one(self, criterion: ColumnElement[bool]) -> LoopStep | None:
        query = select(t.loop_steps).where(criterion)
        if self._c.dialect.name == "postgresql" and not self._c.get_execution_options().get(
            READ_ONLY
        ):
            query = query.with_for_update()  # held until the unit of work ends (see above)
        row = self._c.execute(query).first()
        return None if row is None else loop_step_from_row(row)

    def due(self, now: datetime, limit: int = 20) -> Sequence[LoopStep]:
        if limit <= 0:
            return []
        query = (
            select(t.loop_steps)
            .where(S.state == StepState.PENDING.value, S.next_attempt_at <= now)
            .order_by(S.next_attempt_at, S.id)
            .limit(limit)
        )
        return [loop_step_from_row(row) for row in self._c.execute(query)]

    def list(
        self, *, issue_id: int | None = None, pull_request_id: int | None = None
    ) -> Sequence[LoopStep]:
        criteria: list[ColumnElement[bool]] = []
        for column, value in ((S.issue_id, issue_id), (S.pull_request_id, pull_request_id)):
            if value is not None:
                if not _is_id(value):
                    return []
                criteria.append(column == value)
        query = select(t.loop_steps).where(*criteria).order_by(S.id.desc())
        return [loop_step_from_row(row) for row in self._c.execute(query)]
