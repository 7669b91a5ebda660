"""The tracker repositories' contract, on the fake, SQLite and PostgreSQL: connections,
issues (the remote part written by syncs, triage never touched) and sync runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

from aiops.domain.model.projects import Project
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    Provider,
    RemoteIssue,
    Severity,
    SyncRun,
    TrackerConnection,
    Triage,
    TriageStatus,
)
from aiops.ports.unit_of_work import IssueQuery, UnitOfWork
from tests.integration.test_repositories import new_uow, seed_tenant

__all__ = ["new_uow"]  # the parametrized fixture, shared with the main contract
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def seed_connection(new_uow: Callable[[], UnitOfWork]) -> TrackerConnection:
    tenant = seed_tenant(new_uow)
    assert tenant.id is not None
    with new_uow() as uow:
        project = uow.projects.add(Project(tenant_id=tenant.id, slug="web", name="Web"))
        assert project.id is not None
        connection = uow.trackers.add(
            TrackerConnection(
                project_id=project.id,
                provider=Provider.GITHUB,
                base_url="https://api.github.com",
                key="acme/web",
                token_sealed="sealed:abc",
            )
        )
        uow.commit()
    return connection


def remote(n: int, **fields: object) -> RemoteIssue:
    values: dict[str, object] = {
        "external_id": str(n),
        "number": f"#{n}",
        "title": f"Issue {n}",
        "body": "body",
        "state": IssueState.OPEN,
        "labels": ("bug",),
        "assignees": ("ivo",),
        "url": f"https://github.com/acme/web/issues/{n}",
        "created_at": T0,
        "updated_at": T0 + timedelta(minutes=n),
    }
    return RemoteIssue(**(values | fields))  # type: ignore[arg-type]


def issue_of(connection: TrackerConnection, n: int, triage: Triage | None = None) -> Issue:
    assert connection.id is not None
    return Issue(
        connection_id=connection.id,
        project_id=connection.project_id,
        provider=Provider.GITHUB,
        remote=remote(n),
        triage=triage or Triage(),
    )


def test_connections_round_trip_and_move_their_cursor(new_uow: Callable[[], UnitOfWork]) -> None:
    connection = seed_connection(new_uow)

    with new_uow() as uow:
        assert uow.trackers.get(connection.id or 0) == connection
        moved = attrs.evolve(connection, cursor=T0, etag='W/"abc"', last_error=None)
        uow.trackers.update(moved)
        uow.commit()
    with new_uow() as uow:
        assert uow.trackers.list(connection.project_id) == [moved]
        assert uow.trackers.list(connection.project_id + 1) == []


def test_issues_keep_their_triage_when_a_sync_rewrites_them(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    triage = Triage(status=TriageStatus.IN_PROGRESS, severity=Severity.SEV1, note="on it")
    with new_uow() as uow:
        uow.issues.add_many([issue_of(connection, n, triage if n == 1 else None) for n in (1, 2)])
        uow.commit()
    with new_uow() as uow:
        stored = uow.issues.for_connection(connection.id)
        changed = attrs.evolve(
            stored["1"], remote=remote(1, state=IssueState.CLOSED, labels=()), triage=Triage()
        )
        uow.issues.update_remote_many([changed])
        uow.commit()
    with new_uow() as uow:
        after = uow.issues.for_connection(connection.id)
        listed = uow.issues.list(IssueQuery(project_ids=[connection.project_id]))

    assert after["1"].remote == remote(1, state=IssueState.CLOSED, labels=())
    assert after["1"].triage == triage
    assert after["2"] == stored["2"]
    assert [i.remote.number for i in listed] == ["#2", "#1"]  # newest update first


def test_removing_a_connection_removes_its_issues_and_runs(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    with new_uow() as uow:
        uow.issues.add_many([issue_of(connection, 1)])
        run = uow.sync_runs.add(
            SyncRun(connection_id=connection.id, started_at=T0, finished_at=T0, created=1)
        )
        uow.commit()
    with new_uow() as uow:
        assert uow.sync_runs.list(connection.id) == [run]
        uow.trackers.remove(connection.id)
        uow.commit()
    with new_uow() as uow:
        assert uow.trackers.get(connection.id) is None
        assert uow.issues.for_connection(connection.id) == {}
        assert uow.sync_runs.list(connection.id) == []


def test_issues_can_be_read_by_external_id(new_uow: Callable[[], UnitOfWork]) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    with new_uow() as uow:
        uow.issues.add_many([issue_of(connection, n) for n in range(1, 1203)])
        uow.commit()
    with new_uow() as uow:
        named = uow.issues.for_connection(connection.id, [str(n) for n in range(2, 1203, 2)])
        none = uow.issues.for_connection(connection.id, [])
        everything = uow.issues.for_connection(connection.id)

    assert sorted(named, key=int) == [str(n) for n in range(2, 1203, 2)]
    assert none == {}
    assert len(everything) == 1202


def test_a_webhook_delivery_is_recorded_once_per_connection(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    with new_uow() as uow:
        other = uow.trackers.add(attrs.evolve(connection, id=None, key="acme/api"))
        assert other.id is not None
        first = uow.webhook_deliveries.add(connection.id, "d-1", T0)
        again = uow.webhook_deliveries.add(connection.id, "d-1", T0)
        elsewhere = uow.webhook_deliveries.add(other.id, "d-1", T0)
        uow.commit()
    with new_uow() as uow:
        after_commit = uow.webhook_deliveries.add(connection.id, "d-1", T0)
        uow.trackers.remove(connection.id)  # its deliveries go with it
        uow.commit()
    with new_uow() as uow:
        kept = uow.webhook_deliveries.add(other.id, "d-1", T0)

    assert (first, again, elsewhere, after_commit, kept) == (True, False, True, False, False)


def test_old_webhook_deliveries_are_forgotten_per_connection(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    with new_uow() as uow:
        other = uow.trackers.add(attrs.evolve(connection, id=None, key="acme/api"))
        assert other.id is not None
        uow.webhook_deliveries.add(connection.id, "old", T0)
        uow.webhook_deliveries.add(connection.id, "new", T0 + timedelta(days=8))
        uow.webhook_deliveries.add(other.id, "old", T0)
        forgotten = uow.webhook_deliveries.forget_before(connection.id, T0 + timedelta(days=1))
        uow.commit()
    with new_uow() as uow:
        again = [
            uow.webhook_deliveries.add(connection.id, "old", T0),
            uow.webhook_deliveries.add(connection.id, "new", T0),
            uow.webhook_deliveries.add(other.id, "old", T0),
        ]

    assert forgotten == 1
    assert again == [True, False, False]


def test_a_webhook_body_digest_is_recorded_once_per_connection_whatever_the_id(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    connection = seed_connection(new_uow)
    assert connection.id is not None
    digest, other_digest = "a" * 64, "b" * 64
    with new_uow() as uow:
        other = uow.trackers.add(attrs.evolve(connection, id=None, key="acme/api"))
        assert other.id is not None
        first = uow.webhook_deliveries.add(connection.id, "d-1", T0, body_sha256=digest)
        fresh_id = uow.webhook_deliveries.add(connection.id, "d-2", T0, body_sha256=digest)
        new_body = uow.webhook_deliveries.add(connection.id, "d-3", T0, body_sha256=other_digest)
        elsewhere = uow.webhook_deliveries.add(other.id, "d-9", T0, body_sha256=digest)
        uow.commit()
    with new_uow() as uow:
        after_commit = uow.webhook_deliveries.add(connection.id, "d-4", T0, body_sha256=digest)
        forgotten = uow.webhook_deliveries.forget_before(connection.id, T0 + timedelta(days=1))
        after_forgetting = uow.webhook_deliveries.add(connection.id, "d-5", T0, body_sha256=digest)

    assert (first, fresh_id, new_body, elsewhere) == (True, False, True, True)
    assert (after_commit, forgotten, after_forgetting) == (False, 2, True)
