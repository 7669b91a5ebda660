"""Tracker connections and SyncIssues against the in-memory tracker and unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.tenants import Role
from aiops.domain.model.trackers import (
    IssueState,
    Provider,
    RemoteIssue,
    Severity,
    TrackerConnection,
    Triage,
    TriageStatus,
)
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.sync_issues import (
    OVERLAP,
    ListIssuesQuery,
    SyncIssuesCommand,
    after_sync,
    listing,
    plan_sync,
)
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.ports.issue_tracker import IssueChanges
from tests.fakes import FakeClock, FakeIssueTracker, FakeSecretBox, FakeUnitOfWork

TOKEN = "canary-token-5f1d2c"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def remote(n: int, *, minute: int = 0, **fields: object) -> RemoteIssue:
    values: dict[str, object] = {
        "external_id": str(n),
        "number": f"#{n}",
        "title": f"Issue {n}",
        "body": "",
        "state": IssueState.OPEN,
        "created_at": T0,
        "updated_at": T0 + timedelta(minutes=minute),
    }
    return RemoteIssue(**(values | fields))  # type: ignore[arg-type]


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.github = FakeIssueTracker(token=TOKEN)
        self.app: Container = bootstrap(
            uow=self.uow,
            clock=self.clock,
            secret_box=FakeSecretBox(),
            issue_trackers={Provider.GITHUB: self.github},
        )
        tenant = self.app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        project = self.app.create_project()(
            CreateProjectCommand(tenant="acme", slug="web", name="Web")
        )
        assert tenant.id is not None
        assert project.id is not None
        self.tenant_id, self.project_id = tenant.id, project.id
        self.connection = self.app.add_tracker()(
            AddTrackerCommand(
                project_id=project.id,
                provider="github",
                base_url="https://api.github.com/",
                key="acme/web",
                token=TOKEN,
            )
        )

    def sync(self, *, full: bool = False) -> object:
        (run,) = self.app.sync_issues()(SyncIssuesCommand(full=full))
        return run

    def local(self) -> dict[str, RemoteIssue]:
        return {i.remote.external_id: i.remote for i in self.uow.committed.issues.values()}


@pytest.fixture
def world() -> World:
    return World()


def test_a_connection_keeps_its_token_sealed_and_out_of_the_audit(world: World) -> None:
    stored = world.uow.committed.trackers[world.connection.id or 0]

    assert stored.token_sealed != TOKEN
    assert stored.base_url == "https://api.github.com"
    assert TOKEN not in repr(stored)
    assert all(TOKEN not in repr(event) for event in world.uow.committed.audit)
    assert world.uow.committed.audit[-1].action == "tracker.added"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"provider": "bitbucket"}, "not one of github|gitlab|jira"),
        ({"key": "acme/../web"}, "is not a github key"),
        ({"key": "acme"}, "use owner/repo"),
        ({"base_url": "ftp://example.com"}, "is not an http"),
        ({"base_url": "https://user:pw@example.com"}, "is not an http"),
        ({"token": "has space"}, "token: must be visible ASCII"),
    ],
)
def test_bad_connections_are_refused_and_store_nothing(
    world: World, fields: dict[str, str], message: str
) -> None:
    before = dict(world.uow.committed.trackers)
    cmd = {
        "project_id": world.project_id,
        "provider": "github",
        "base_url": "https://api.github.com",
        "key": "acme/web",
        "token": TOKEN,
    } | fields

    with pytest.raises(ValidationError, match=message) as raised:
        world.app.add_tracker()(AddTrackerCommand(**cmd))  # type: ignore[arg-type]

    assert TOKEN not in str(raised.value)
    assert world.uow.committed.trackers == before


def test_only_owners_add_trackers_and_outsiders_learn_nothing(world: World) -> None:
    member = Actor("m@example.com", user_id=50, roles={world.tenant_id: Role.MEMBER})
    outsider = Actor("o@example.com", user_id=51, roles={})
    cmd = AddTrackerCommand(
        project_id=world.project_id,
        provider="github",
        base_url="https://api.github.com",
        key="acme/api",
        token=TOKEN,
    )

    with pytest.raises(PermissionDenied):
        world.app.add_tracker()(attrs.evolve(cmd, actor=member))
    with pytest.raises(NotFound):
        world.app.add_tracker()(attrs.evolve(cmd, actor=outsider))
    assert world.app.list_trackers()(outsider) == []


def test_first_sync_creates_then_an_idle_sync_costs_one_304(world: World) -> None:
    for n in range(3):
        world.github.put(remote(n, minute=n))

    first = world.sync()
    idle = world.sync()

    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)  # type: ignore[attr-defined]
    assert (idle.created, idle.updated, idle.requests) == (0, 0, 1)  # type: ignore[attr-defined]
    connection = world.uow.committed.trackers[world.connection.id or 0]
    assert connection.cursor == T0 + timedelta(minutes=2)
    assert connection.etag is not None
    assert world.local() == world.github.issues


def test_a_remote_change_updates_the_issue_and_keeps_its_triage(world: World) -> None:
    world.github.put(remote(1))
    world.sync()
    issue_id = next(iter(world.uow.committed.issues))
    triage = Triage(status=TriageStatus.TRIAGED, severity=Severity.SEV2, note="paged ops")
    stored = world.uow.committed.issues[issue_id]
    world.uow.committed.issues[issue_id] = attrs.evolve(stored, triage=triage)

    world.github.put(remote(1, minute=5, state=IssueState.CLOSED, labels=("incident",)))
    run = world.sync()

    assert (run.updated, run.created) == (1, 0)  # type: ignore[attr-defined]
    after = world.uow.committed.issues[issue_id]
    assert after.remote.state is IssueState.CLOSED
    assert after.remote.labels == ("incident",)
    assert after.triage == triage


def test_only_a_full_sync_notices_removed_issues(world: World) -> None:
    world.github.put(remote(1))
    world.github.put(remote(2))
    world.sync()
    world.github.delete("2")

    incremental = world.sync()
    full = world.sync(full=True)

    assert incremental.removed == 0  # type: ignore[attr-defined]
    assert full.removed == 1  # type: ignore[attr-defined]
    assert world.local()["2"].state is IssueState.REMOVED


def test_a_failing_connection_keeps_what_was_synced_and_says_why(world: World) -> None:
    world.github.put(remote(1))
    world.sync()
    world.github.token = "rotated"

    run = world.sync()

    assert run.error == "the token was refused"  # type: ignore[attr-defined]
    assert len(world.uow.committed.issues) == 1
    connection = world.uow.committed.trackers[world.connection.id or 0]
    assert connection.last_error == "the token was refused"
    assert world.uow.committed.sync_runs[-1].error == "the token was refused"


def test_a_provider_without_an_adapter_is_a_clear_error_for_that_connection(
    world: World,
) -> None:
    world.app.add_tracker()(
        AddTrackerCommand(
            project_id=world.project_id,
            provider="jira",
            base_url="https://jira.example.com",
            key="OPS",
            token=TOKEN,
        )
    )
    world.github.put(remote(1))

    runs = world.app.sync_issues()(SyncIssuesCommand())

    assert [r.error for r in runs] == [None, "aiops cannot talk to jira trackers yet"]
    assert len(world.local()) == 1


def test_issues_are_listed_only_for_tenants_the_user_is_in(world: World) -> None:
    world.github.put(remote(1))
    world.sync()
    member = Actor("m@example.com", user_id=50, roles={world.tenant_id: Role.VIEWER})
    outsider = Actor("o@example.com", user_id=51, roles={})

    assert [i.remote.number for i in world.app.list_issues()(ListIssuesQuery(actor=member))] == [
        "#1"
    ]
    assert world.app.list_issues()(ListIssuesQuery(actor=outsider)) == []


def test_plan_sync_is_empty_when_both_sides_agree() -> None:
    assert plan_sync([], {}, full=True).create == ()


def connection(cursor: datetime | None, etag: str | None) -> TrackerConnection:
    return TrackerConnection(
        project_id=1,
        provider=Provider.GITHUB,
        base_url="https://api.github.com",
        key="acme/web",
        token_sealed="sealed",
        cursor=cursor,
        etag=etag,
        last_error="HTTP 500",
    )


cursors = st.none() | st.integers(0, 10_000).map(lambda m: T0 + timedelta(minutes=m))
etags = st.none() | st.text(max_size=8)


@given(cursor=cursors, etag=etags, full=st.booleans())
def test_a_sync_lists_from_a_little_before_the_cursor_or_everything_when_full(
    cursor: datetime | None, etag: str | None, full: bool
) -> None:
    since, sent_etag = listing(connection(cursor, etag), full=full)

    if full or cursor is None:
        assert since is None
    else:
        assert since == cursor - OVERLAP
    assert sent_etag == (None if full else etag)


@given(
    cursor=cursors,
    etag=etags,
    minutes=st.lists(st.integers(0, 10_000), max_size=5),
    new_etag=etags,
    not_modified=st.booleans(),
)
def test_after_a_sync_the_cursor_never_moves_back_and_a_304_keeps_the_etag(
    cursor: datetime | None,
    etag: str | None,
    minutes: list[int],
    new_etag: str | None,
    not_modified: bool,
) -> None:
    issues = tuple(remote(n, minute=m) for n, m in enumerate(minutes))
    changes = IssueChanges(issues=issues, etag=new_etag, not_modified=not_modified)

    after = after_sync(connection(cursor, etag), changes)

    seen = [i.updated_at for i in issues] + ([cursor] if cursor else [])
    assert after.cursor == (max(seen) if seen else None)
    assert after.etag == (etag if not_modified else new_etag)
    assert after.last_error is None


class SyncMachine(RuleBasedStateMachine):
    """Random remote changes, triage edits and syncs: after every sync the local issues equal
    the remote ones (a full sync also marks removed ones) and no triage is ever lost."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.minute = 0
        self.triage: dict[str, Triage] = {}

    def _tick(self) -> int:
        self.minute += 1
        self.world.clock.advance(minutes=1)
        return self.minute

    @rule(n=st.integers(0, 8), title=st.text(max_size=20))
    def create_or_update(self, n: int, title: str) -> None:
        self.world.github.put(remote(n, minute=self._tick(), title=title))

    @rule(n=st.integers(0, 8))
    def close(self, n: int) -> None:
        if (issue := self.world.github.issues.get(str(n))) is not None:
            changed = attrs.evolve(issue, state=IssueState.CLOSED)
            self.world.github.put(
                attrs.evolve(changed, updated_at=T0 + timedelta(minutes=self._tick()))
            )

    @rule(n=st.integers(0, 8), labels=st.lists(st.sampled_from(["bug", "incident"]), max_size=2))
    def relabel(self, n: int, labels: list[str]) -> None:
        if (issue := self.world.github.issues.get(str(n))) is not None:
            self.world.github.put(
                attrs.evolve(
                    issue,
                    labels=tuple(labels),
                    updated_at=T0 + timedelta(minutes=self._tick()),
                )
            )

    @rule(n=st.integers(0, 8))
    def delete(self, n: int) -> None:
        self.world.github.delete(str(n))

    @precondition(lambda self: bool(self.world.uow.committed.issues))
    @rule(data=st.data(), severity=st.sampled_from(list(Severity)))
    def triage_locally(self, data: st.DataObject, severity: Severity) -> None:
        issues = self.world.uow.committed.issues
        issue_id = data.draw(st.sampled_from(sorted(issues)))
        triage = Triage(status=TriageStatus.TRIAGED, severity=severity)
        issues[issue_id] = attrs.evolve(issues[issue_id], triage=triage)
        self.triage[issues[issue_id].remote.external_id] = triage

    @rule()
    def sync_incrementally(self) -> None:
        self.world.sync()
        local = self.world.local()
        for external_id, issue in self.world.github.issues.items():
            assert local[external_id] == issue

    @rule()
    def sync_fully(self) -> None:
        self.world.sync(full=True)
        local = self.world.local()
        for external_id, issue in local.items():
            expected = self.world.github.issues.get(external_id)
            assert issue == expected or (expected is None and issue.state is IssueState.REMOVED)
        assert set(self.world.github.issues) <= set(local)

    @invariant()
    def no_triage_is_lost(self) -> None:
        by_external = {
            i.remote.external_id: i.triage for i in self.world.uow.committed.issues.values()
        }
        for external_id, triage in self.triage.items():
            assert by_external[external_id] == triage


TestSyncMachine = SyncMachine.TestCase
TestSyncMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
