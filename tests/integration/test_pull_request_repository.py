"""The pull request repository and the loop step queue (issue 19): one contract on the fake,
SQLite and PostgreSQL; then what only a database does (two writers queueing one key, what a
deleted issue, pull request, connection, user or project leaves behind)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import Engine, Table, delete, func, select

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from aiops.domain.errors import Conflict, NotFound
from aiops.domain.model.projects import Project
from aiops.domain.model.pull_requests import (
    ChecksState,
    LoopStep,
    PullRequest,
    PullState,
    RemotePull,
    ReviewComment,
    ReviewState,
    StepKind,
    StepState,
)
from aiops.domain.model.trackers import Provider, TrackerConnection
from aiops.domain.model.users import User
from aiops.ports.unit_of_work import UnitOfWork
from tests.integration.test_repositories import new_uow
from tests.integration.test_tracker_repositories import issue_of, seed_connection

__all__ = ["new_uow"]  # the parametrized fixture (fake, SQLite, PostgreSQL)
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
COMMENTS = (
    ReviewComment(path="src/login.py", line=12, author="ana", body="Handle `None` here", id="c1"),
    ReviewComment(path="", line=None, author="bo", body="Needs a test ✓", id="c2"),
)


@attrs.frozen
class Seeded:
    connection: TrackerConnection
    user_id: int
    issue_ids: tuple[int, ...]


def seed(new_uow: Callable[[], UnitOfWork]) -> Seeded:
    """A project with a GitHub connection, two of its issues and a user."""
    connection = seed_connection(new_uow)
    with new_uow() as uow:
        uow.issues.add_many([issue_of(connection, 12), issue_of(connection, 13)])
        user = uow.users.add(User(email="ivo@example.com", name="Ivo", username="ivo"))
        uow.commit()
    assert connection.id is not None and user.id is not None  # noqa: PT018
    with new_uow() as uow:
        issues = uow.issues.for_connection(connection.id)
    ids = tuple(issue.id for _, issue in sorted(issues.items()) if issue.id is not None)
    return Seeded(connection=connection, user_id=user.id, issue_ids=ids)


def pull(seeded: Seeded, number: int, issue_id: int | None = None, **fields: object) -> PullRequest:
    assert seeded.connection.id is not None
    values: dict[str, object] = {
        "project_id": seeded.connection.project_id,
        "connection_id": seeded.connection.id,
        "provider": Provider.GITHUB,
        "issue_id": issue_id,
        "user_id": seeded.user_id,
        "number": number,
        "url": f"https://github.com/acme/web/pull/{number}",
        "head": f"aiops/gh-{number}-fix-login",
        "base": "main",
        "title": f"Fix login ({number})",
        "state": PullState.OPEN,
        "created_at": T0,
        "updated_at": T0,
    }
    return PullRequest(**(values | fields))  # type: ignore[arg-type]


def step(key: str, **fields: object) -> LoopStep:
    values: dict[str, object] = {
        "kind": StepKind.COMMENT,
        "key": key,
        "next_attempt_at": T0,
        "created_at": T0,
    }
    return LoopStep(**(values | fields))  # type: ignore[arg-type]


def test_pull_requests_round_trip_with_their_review_and_checks(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    seeded = seed(new_uow)
    with new_uow() as uow:
        added = uow.pull_requests.add(pull(seeded, 7, seeded.issue_ids[0]))
        uow.commit()
    assert added.id is not None
    remote = RemotePull(
        number=7,
        url="https://github.com/acme/web/pull/7",
        head="aiops/gh-7-fix-login",
        base="main",
        title="Fix the login",
        state=PullState.MERGED,
        review=ReviewState.CHANGES_REQUESTED,
        checks=ChecksState.FAILING,
        checks_summary="2 passing, 1 failing",
        failing_checks=("lint", "e2e (chromium)"),
        unresolved=COMMENTS,
        head_sha="0a1b2c3d" * 5,
    )
    with new_uow() as uow:
        assert uow.pull_requests.get(added.id) == added
        synced = uow.pull_requests.update(added.synced(remote, T0 + timedelta(minutes=5)))
        uow.commit()

    with new_uow() as uow:
        stored = uow.pull_requests.get(added.id)
        by_number = uow.pull_requests.get_by_number(added.connection_id, 7)
    assert stored == synced == by_number
    assert stored is not None
    assert stored.unresolved == COMMENTS
    assert stored.failing_checks == ("lint", "e2e (chromium)")
    assert stored.updated_at == T0 + timedelta(minutes=5)
    assert stored.updated_at.tzinfo is not None


def test_pull_requests_are_listed_newest_first_by_project_issue_connection_and_state(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    seeded = seed(new_uow)
    first_issue, second_issue = seeded.issue_ids
    with new_uow() as uow:
        one = uow.pull_requests.add(pull(seeded, 1, first_issue))
        two = uow.pull_requests.add(pull(seeded, 2, second_issue, state=PullState.DRAFT))
        three = uow.pull_requests.add(pull(seeded, 3, first_issue, state=PullState.MERGED))
        uow.commit()

    with new_uow() as uow:
        pulls = uow.pull_requests
        assert pulls.list() == [three, two, one]
        assert pulls.list(project_id=seeded.connection.project_id) == [three, two, one]
        assert pulls.list(issue_id=first_issue) == [three, one]
        assert pulls.list(connection_id=seeded.connection.id) == [three, two, one]
        assert pulls.list(states=[PullState.OPEN, PullState.DRAFT]) == [two, one]
        assert pulls.list(issue_id=first_issue, states={PullState.MERGED}) == [three]
        assert pulls.list(states=()) == []
        assert pulls.list(project_id=999) == []
        assert pulls.list(issue_id=2**40) == []  # past any id: nothing, not a driver error


def test_a_pull_request_is_recorded_once_per_connection_and_number(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    seeded = seed(new_uow)
    with new_uow() as uow:
        first = uow.pull_requests.add(pull(seeded, 7))
        uow.commit()

    with new_uow() as uow:
        with pytest.raises(Conflict):
            uow.pull_requests.add(pull(seeded, 7, title="A twin"))
        # The unit of work goes on: the twin is read, and what else it writes is kept.
        assert uow.pull_requests.get_by_number(first.connection_id, 7) == first
        eight = uow.pull_requests.add(pull(seeded, 8))
        uow.commit()

    with new_uow() as uow:
        assert uow.pull_requests.list() == [eight, first]


def test_unknown_pull_requests_are_none_and_cannot_be_updated(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    seeded = seed(new_uow)
    with new_uow() as uow:
        assert uow.pull_requests.get(999) is None
        assert uow.pull_requests.get(0) is None
        assert uow.pull_requests.get(2**40) is None
        assert uow.pull_requests.get_by_number(seeded.connection.id or 0, 7) is None
        assert uow.pull_requests.get_by_number(seeded.connection.id or 0, 2**40) is None
        with pytest.raises(NotFound):
            uow.pull_requests.update(attrs.evolve(pull(seeded, 7), id=999))


def test_a_step_is_queued_once_per_key_and_kept_unchanged(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    seeded = seed(new_uow)
    params = {"draft": True, "attempt_limit": 3, "note": "from the CLI"}
    with new_uow() as uow:
        queued = uow.loop_steps.add(
            step(
                "open:issue:12:user:3",
                kind=StepKind.OPEN_PULL_REQUEST,
                issue_id=seeded.issue_ids[0],
                user_id=seeded.user_id,
                params=params,
                actor="ivo@example.com",
            )
        )
        again = uow.loop_steps.add(
            step("open:issue:12:user:3", kind=StepKind.OPEN_PULL_REQUEST, actor="someone else")
        )
        uow.commit()
    assert queued.id is not None
    assert again == queued  # the first one, as it was queued

    with new_uow() as uow:
        later = uow.loop_steps.add(step("open:issue:12:user:3", params={"draft": False}))
        stored = uow.loop_steps.get_by_key("open:issue:12:user:3")
        uow.commit()
    assert later == stored == queued
    assert stored is not None
    assert stored.params == params
    assert stored.actor == "ivo@example.com"
    with new_uow() as uow:
        assert uow.loop_steps.list() == [queued]
        assert uow.loop_steps.get_by_key("open:issue:99:user:3") is None


def test_a_step_is_updated_through_its_tries(new_uow: Callable[[], UnitOfWork]) -> None:
    seeded = seed(new_uow)
    with new_uow() as uow:
        pr = uow.pull_requests.add(pull(seeded, 7, seeded.issue_ids[0]))
        queued = uow.loop_steps.add(
            step("comment:pr:1:opened", issue_id=seeded.issue_ids[0], pull_request_id=pr.id)
        )
        uow.commit()
    assert queued.id is not None

    failed_once = attrs.evolve(
        queued,
        attempts=1,
        last_error="GitHub said 502",
        next_attempt_at=T0 + timedelta(seconds=5),
    )
    done = attrs.evolve(
        failed_once,
        attempts=2,
        state=StepState.DONE,
        last_error=None,
        result="IC_kwDOA1",
        done_at=T0 + timedelta(seconds=6),
    )
    with new_uow() as uow:
        assert uow.loop_steps.update(failed_once) == failed_once
        uow.commit()
    with new_uow() as uow:
        assert uow.loop_steps.get(queued.id) == failed_once
        uow.loop_steps.update(done)
        uow.commit()
    with new_uow() as uow:
        assert uow.loop_steps.get(queued.id) == done
        assert uow.loop_steps.get(999) is None
        assert uow.loop_steps.get(2**40) is None
        with pytest.raises(NotFound):
            uow.loop_steps.update(attrs.evolve(done, id=999))


def test_due_steps_are_the_pending_ones_whose_time_came_oldest_first(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    now = T0 + timedelta(minutes=10)
    with new_uow() as uow:
        late = uow.loop_steps.add(step("a:late", next_attempt_at=now - timedelta(minutes=1)))
        uow.loop_steps.add(step("b:future", next_attempt_at=now + timedelta(seconds=1)))
        early = uow.loop_steps.add(step("c:early", next_attempt_at=now - timedelta(minutes=5)))
        exact = uow.loop_steps.add(step("d:now", next_attempt_at=now))
        uow.loop_steps.add(step("e:done", state=StepState.DONE, done_at=T0))
        uow.loop_steps.add(step("f:failed", state=StepState.FAILED, last_error="out of tries"))
        twin = uow.loop_steps.add(step("g:late-twin", next_attempt_at=now - timedelta(minutes=1)))
        uow.commit()

    with new_uow() as uow:
        assert uow.loop_steps.due(now) == [early, late, twin, exact]
        assert uow.loop_steps.due(now, limit=2) == [early, late]
        assert uow.loop_steps.due(now, limit=0) == []
        assert uow.loop_steps.due(T0 - timedelta(days=1)) == []


def test_steps_are_listed_newest_first_by_issue_and_pull_request(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    seeded = seed(new_uow)
    first_issue, second_issue = seeded.issue_ids
    with new_uow() as uow:
        pr = uow.pull_requests.add(pull(seeded, 7, first_issue))
        opened = uow.loop_steps.add(step("open:1", issue_id=first_issue))
        commented = uow.loop_steps.add(
            step("comment:1", issue_id=first_issue, pull_request_id=pr.id)
        )
        other = uow.loop_steps.add(step("open:2", issue_id=second_issue))
        uow.commit()

    with new_uow() as uow:
        steps = uow.loop_steps
        assert steps.list() == [other, commented, opened]
        assert steps.list(issue_id=first_issue) == [commented, opened]
        assert steps.list(pull_request_id=pr.id) == [commented]
        assert steps.list(issue_id=second_issue, pull_request_id=pr.id) == []
        assert steps.list(issue_id=2**40) == []


def test_the_loop_switches_of_a_project_round_trip(new_uow: Callable[[], UnitOfWork]) -> None:
    seeded = seed(new_uow)
    with new_uow() as uow:
        project = uow.projects.get(seeded.connection.project_id)
        assert project is not None
        assert (project.auto_pull_request, project.auto_review_to_agent) == (False, False)
        tenant_id = project.tenant_id
        both = uow.projects.add(
            Project(
                tenant_id=tenant_id,
                slug="api",
                name="Api",
                auto_pull_request=True,
                auto_review_to_agent=True,
            )
        )
        uow.projects.update(attrs.evolve(project, auto_pull_request=True))
        uow.commit()
    assert both.id is not None

    with new_uow() as uow:
        assert uow.projects.get(both.id) == both
        web = uow.projects.get(seeded.connection.project_id)
        assert web is not None
        assert (web.auto_pull_request, web.auto_review_to_agent) == (True, False)
        uow.projects.update(attrs.evolve(both, auto_review_to_agent=False))
        uow.commit()

    with new_uow() as uow:
        api = uow.projects.get_by_slug(tenant_id, "api")
        assert api is not None
        assert (api.auto_pull_request, api.auto_review_to_agent) == (True, False)


# What only a database does.


def test_two_writers_queueing_one_key_get_one_step(migrated: Engine) -> None:
    """The second writer's insert waits for the first one's transaction (PostgreSQL: on the
    unique key; SQLite: at BEGIN), then reads the first writer's step."""
    got: list[LoopStep] = []
    errors: list[BaseException] = []
    inserted = threading.Event()

    def second_writer() -> None:
        try:
            inserted.wait(5)
            with SqlAlchemyUnitOfWork(migrated) as uow:
                got.append(uow.loop_steps.add(step("comment:pr:1:merged", actor="second")))
                uow.commit()
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    thread = threading.Thread(target=second_writer)
    thread.start()
    with SqlAlchemyUnitOfWork(migrated) as uow:
        first = uow.loop_steps.add(step("comment:pr:1:merged", actor="first"))
        inserted.set()
        thread.join(0.3)  # the second writer is waiting now, on either backend
        assert thread.is_alive()
        uow.commit()
    thread.join(10)

    assert errors == []
    assert got == [first]
    with SqlAlchemyUnitOfWork(migrated) as uow:
        assert uow.loop_steps.list() == [first]
        assert first.actor == "first"


def test_a_rolled_back_step_leaves_its_key_free(migrated: Engine) -> None:
    with SqlAlchemyUnitOfWork(migrated) as uow:
        uow.loop_steps.add(step("review:pr:1:1", actor="gone"))  # never committed

    with SqlAlchemyUnitOfWork(migrated) as uow:
        kept = uow.loop_steps.add(step("review:pr:1:1", actor="kept"))
        uow.commit()

    with SqlAlchemyUnitOfWork(migrated) as uow:
        assert uow.loop_steps.get_by_key("review:pr:1:1") == kept
        assert kept.actor == "kept"


def sql_seed(engine: Engine) -> tuple[Seeded, PullRequest, LoopStep]:
    """seed() on the database, with a pull request for the first issue and a step for both."""
    seeded = seed(lambda: SqlAlchemyUnitOfWork(engine))
    with SqlAlchemyUnitOfWork(engine) as uow:
        pr = uow.pull_requests.add(pull(seeded, 7, seeded.issue_ids[0]))
        queued = uow.loop_steps.add(
            step(
                "comment:pr:1:opened",
                issue_id=seeded.issue_ids[0],
                pull_request_id=pr.id,
                user_id=seeded.user_id,
            )
        )
        uow.commit()
    return seeded, pr, queued


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_deleted_issue_leaves_its_pull_request_and_steps_without_it(migrated: Engine) -> None:
    seeded, pr, queued = sql_seed(migrated)
    with migrated.begin() as connection:
        connection.execute(delete(t.issues).where(t.issues.c.id == seeded.issue_ids[0]))

    with SqlAlchemyUnitOfWork(migrated) as uow:
        assert uow.pull_requests.get(pr.id or 0) == attrs.evolve(pr, issue_id=None)
        assert uow.loop_steps.get(queued.id or 0) == attrs.evolve(queued, issue_id=None)


def test_a_removed_connection_takes_its_pull_requests_and_leaves_their_steps(
    migrated: Engine,
) -> None:
    seeded, _, queued = sql_seed(migrated)
    with SqlAlchemyUnitOfWork(migrated) as uow:
        uow.trackers.remove(seeded.connection.id or 0)
        uow.commit()

    with SqlAlchemyUnitOfWork(migrated) as uow:
        assert uow.pull_requests.list() == []
        # The step stays (its audit trail), without the pull request and the issue.
        assert uow.loop_steps.get(queued.id or 0) == attrs.evolve(
            queued, issue_id=None, pull_request_id=None
        )


def test_a_deleted_user_takes_their_pull_requests_and_leaves_their_steps(
    migrated: Engine,
) -> None:
    seeded, _, queued = sql_seed(migrated)
    with migrated.begin() as connection:
        connection.execute(delete(t.users).where(t.users.c.id == seeded.user_id))

    assert count(migrated, t.pull_requests) == 0
    with SqlAlchemyUnitOfWork(migrated) as uow:
        assert uow.loop_steps.get(queued.id or 0) == attrs.evolve(
            queued, user_id=None, pull_request_id=None
        )


def test_a_deleted_project_takes_its_pull_requests(migrated: Engine) -> None:
    seeded, _, _ = sql_seed(migrated)
    project_id = seeded.connection.project_id
    with migrated.begin() as connection:
        connection.execute(delete(t.projects).where(t.projects.c.id == project_id))

    assert count(migrated, t.pull_requests) == 0
    assert count(migrated, t.loop_steps) == 1


def test_a_pull_request_of_a_jira_connection_or_an_unknown_state_is_refused(
    migrated: Engine,
) -> None:
    seeded = seed(lambda: SqlAlchemyUnitOfWork(migrated))
    with SqlAlchemyUnitOfWork(migrated) as uow, pytest.raises(Conflict):
        uow.pull_requests.add(pull(seeded, 7, provider=Provider.JIRA))
    with SqlAlchemyUnitOfWork(migrated) as uow, pytest.raises(Conflict):
        uow.pull_requests.add(pull(seeded, 7, user_id=999))  # no such user
    with SqlAlchemyUnitOfWork(migrated) as uow, pytest.raises(Conflict):
        uow.loop_steps.add(step("open:1", issue_id=999))  # no such issue
    assert count(migrated, t.pull_requests) == 0
    assert count(migrated, t.loop_steps) == 0


def test_a_step_claimed_by_one_runner_is_seen_claimed_by_the_next(migrated: Engine) -> None:
    """A runner claims a step by reading it and moving its next try on (a lease) in one
    writing unit of work: a second runner reading it meanwhile waits and sees the lease
    (PostgreSQL: the read is FOR UPDATE; SQLite: the second waits at BEGIN)."""
    with SqlAlchemyUnitOfWork(migrated) as uow:
        queued = uow.loop_steps.add(step("open:issue:1:user:1"))
        uow.commit()
    assert queued.id is not None
    leased_until = T0 + timedelta(minutes=5)
    seen: list[LoopStep | None] = []
    errors: list[BaseException] = []
    claimed = threading.Event()

    def second_runner() -> None:
        try:
            claimed.wait(5)
            with SqlAlchemyUnitOfWork(migrated) as uow:
                seen.append(uow.loop_steps.get(queued.id or 0))
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    thread = threading.Thread(target=second_runner)
    thread.start()
    with SqlAlchemyUnitOfWork(migrated) as uow:
        current = uow.loop_steps.get(queued.id)
        assert current == queued
        claimed.set()
        thread.join(0.3)
        assert thread.is_alive()  # waiting for this runner's unit of work
        uow.loop_steps.update(attrs.evolve(current, next_attempt_at=leased_until))
        uow.commit()
    thread.join(10)

    assert errors == []
    assert seen == [attrs.evolve(queued, next_attempt_at=leased_until)]


def test_a_read_only_unit_of_work_reads_a_step_without_waiting(migrated: Engine) -> None:
    with SqlAlchemyUnitOfWork(migrated) as uow:
        queued = uow.loop_steps.add(step("open:issue:1:user:1"))
        uow.commit()
    with SqlAlchemyUnitOfWork(migrated) as writer:
        assert writer.loop_steps.get(queued.id or 0) == queued  # locked on PostgreSQL
        with SqlAlchemyUnitOfWork(migrated, read_only=True) as reader:
            assert reader.loop_steps.get(queued.id or 0) == queued
            assert reader.loop_steps.get_by_key(queued.key) == queued
