"""The triage view's use cases: search across visible projects, triage one or many, incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.tenants import Role
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    Provider,
    RemoteIssue,
    Severity,
    Triage,
    TriageStatus,
)
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.triage import (
    IssueFilters,
    TriageChange,
    TriageCommand,
    sees_every_project,
    triage_change,
    visible_projects,
)
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeClock, FakeUnitOfWork

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.app: Container = bootstrap(uow=self.uow, clock=FakeClock())
        self.ids: dict[str, int] = {}
        for slug in ("acme", "globex"):
            tenant = self.app.create_tenant()(CreateTenantCommand(slug=slug, name=slug.title()))
            project = self.app.create_project()(
                CreateProjectCommand(tenant=slug, slug="web", name=f"{slug} web")
            )
            assert tenant.id is not None
            assert project.id is not None
            self.ids[slug] = tenant.id
            self.ids[f"{slug}/web"] = project.id
        self.app.create_user()(CreateUserCommand(email="olga@example.com", name="Olga"))
        issues = [
            self.issue("acme/web", 1, "Disk full on db-1", labels=("incident",)),
            self.issue("acme/web", 2, "Typo in README", labels=("docs",)),
            self.issue("acme/web", 3, "Flaky deploy", state=IssueState.CLOSED),
            self.issue("globex/web", 4, "Secret globex outage", labels=("incident",)),
        ]
        with self.uow:
            self.uow.issues.add_many(issues)
            self.uow.commit()

    def issue(self, project: str, n: int, title: str, **fields: object) -> Issue:
        remote = RemoteIssue(
            external_id=str(n),
            number=f"#{n}",
            title=title,
            body="",
            state=fields.pop("state", IssueState.OPEN),  # type: ignore[arg-type]
            labels=fields.pop("labels", ()),  # type: ignore[arg-type]
            created_at=T0,
            updated_at=T0 + timedelta(minutes=n),
        )
        return Issue(
            connection_id=99, project_id=self.ids[project], provider=Provider.GITHUB, remote=remote
        )

    def actor(self, role: Role | None, tenant: str = "acme") -> Actor:
        roles = {self.ids[tenant]: role} if role else {}
        return Actor(f"{role}@example.com", user_id=70, roles=roles)

    def numbers(self, actor: Actor, **filters: object) -> list[str]:
        page = self.app.search_issues()(IssueFilters(**filters), actor)  # type: ignore[arg-type]
        return [i.remote.number for i in page.issues]

    def issue_id(self, number: str) -> int:
        return next(i.id for i in self.uow.committed.issues.values() if i.remote.number == number)  # type: ignore[return-value]


@pytest.fixture
def world() -> World:
    return World()


def test_a_member_sees_only_their_tenants_issues_newest_first(world: World) -> None:
    assert world.numbers(world.actor(Role.VIEWER)) == ["#3", "#2", "#1"]
    assert world.numbers(Actor.system()) == ["#4", "#3", "#2", "#1"]
    assert world.numbers(world.actor(None)) == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "closed"}, ["#3"]),
        ({"label": "docs"}, ["#2"]),
        ({"text": "disk"}, ["#1"]),
        ({"text": "#2"}, ["#2"]),
        ({"incidents": True}, ["#1"]),
        ({"sort": "number"}, ["#1", "#2", "#3"]),
        ({"per_page": 2, "page": 2}, ["#1"]),
    ],
)
def test_filters_sort_and_pages(
    world: World, filters: dict[str, object], expected: list[str]
) -> None:
    assert world.numbers(world.actor(Role.VIEWER), **filters) == expected


def test_another_tenant_named_in_the_filter_does_not_exist(world: World) -> None:
    with pytest.raises(NotFound, match="tenant 'globex' does not exist"):
        world.numbers(world.actor(Role.OWNER), tenant="globex")


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"severity": "sev9"}, "severity"), ({"sort": "random"}, "sort"), ({"per_page": 500}, "page")],
)
def test_bad_filters_are_refused(world: World, filters: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        world.numbers(world.actor(Role.VIEWER), **filters)


def test_a_member_triages_several_issues_at_once(world: World) -> None:
    ids = [world.issue_id("#1"), world.issue_id("#2")]

    triaged = world.app.triage_issues()(
        TriageCommand(
            issue_ids=ids,
            status="in_progress",
            severity="sev2",
            owner_email="olga@example.com",
            note="paged",
            actor=world.actor(Role.MEMBER),
        )
    )

    assert [i.triage.status for i in triaged] == [TriageStatus.IN_PROGRESS] * 2
    stored = world.uow.committed.issues[ids[1]]
    assert (stored.triage.severity, stored.triage.note) == (Severity.SEV2, "paged")
    assert stored.triage.owner_id is not None
    assert world.numbers(world.actor(Role.VIEWER), incidents=True) == ["#2", "#1"]
    assert world.uow.committed.audit[-1].action == "issue.triaged"


def test_triage_is_all_or_nothing_and_never_reaches_another_tenant(world: World) -> None:
    mine, theirs = world.issue_id("#1"), world.issue_id("#4")
    member = world.actor(Role.MEMBER)

    with pytest.raises(NotFound, match=f"issue {theirs} does not exist"):
        world.app.triage_issues()(
            TriageCommand(issue_ids=[mine, theirs], status="triaged", actor=member)
        )
    with pytest.raises(PermissionDenied):
        world.app.triage_issues()(
            TriageCommand(issue_ids=[mine], status="triaged", actor=world.actor(Role.VIEWER))
        )
    with pytest.raises(ValidationError, match="not one of"):
        world.app.triage_issues()(TriageCommand(issue_ids=[mine], status="done", actor=member))

    assert world.uow.committed.issues[mine].triage.status is TriageStatus.NEW


def test_incident_counts_cover_open_incidents_of_visible_projects(world: World) -> None:
    counts = world.app.incident_counts()(
        world.actor(Role.VIEWER), [world.ids["acme/web"], world.ids["globex/web"]]
    )

    assert counts == {world.ids["acme/web"]: 1}


triages = st.builds(
    Triage,
    status=st.sampled_from(TriageStatus),
    severity=st.none() | st.sampled_from(Severity),
    owner_id=st.none() | st.integers(1, 9),
    note=st.text(max_size=5),
)
changes = st.builds(
    TriageChange,
    status=st.none() | st.sampled_from(TriageStatus),
    severity=st.none() | st.sampled_from(Severity),
    clear_severity=st.booleans(),
    owner_id=st.none() | st.integers(1, 9),
    clear_owner=st.booleans(),
    note=st.none() | st.text(max_size=5),
)


@given(change=changes, before=triages)
def test_a_triage_change_sets_clears_or_keeps_each_field(
    change: TriageChange, before: Triage
) -> None:
    after = change.applied_to(before)

    assert after.status == (change.status or before.status)
    if change.clear_severity:
        assert after.severity is None
    else:
        assert after.severity == (change.severity or before.severity)
    if change.clear_owner:
        assert after.owner_id is None
    else:
        assert after.owner_id == (change.owner_id or before.owner_id)
    assert after.note == (before.note if change.note is None else change.note)


@given(
    severity=st.none() | st.sampled_from([s.value for s in Severity]),
    clear_severity=st.booleans(),
    owner_email=st.none() | st.just("olga@example.com"),
    clear_owner=st.booleans(),
)
def test_a_triage_command_may_not_set_and_clear_one_field(
    severity: str | None, clear_severity: bool, owner_email: str | None, clear_owner: bool
) -> None:
    cmd = TriageCommand(
        issue_ids=[1],
        severity=severity,
        clear_severity=clear_severity,
        owner_email=owner_email,
        clear_owner=clear_owner,
    )

    if (severity and clear_severity) or (owner_email and clear_owner):
        with pytest.raises(ValidationError, match="not both"):
            triage_change(cmd)
    else:
        change = triage_change(cmd)
        assert (change.clear_severity, change.clear_owner) == (clear_severity, clear_owner)
        assert change.severity == (Severity(severity) if severity else None)


tenant_maps = st.dictionaries(st.integers(1, 30), st.integers(1, 5), max_size=20)
actors = st.builds(
    Actor,
    name=st.just("someone"),
    user_id=st.integers(1, 9),
    is_admin=st.booleans(),
    roles=st.dictionaries(st.integers(1, 5), st.sampled_from(Role)),
)
narrowing = st.none() | st.integers(1, 30)


@given(tenant_maps, actors, st.none() | st.integers(1, 5), narrowing)
def test_a_search_sees_exactly_the_projects_of_tenants_the_actor_may_view(
    tenant_of: dict[int, int], actor: Actor, tenant_id: int | None, project_id: int | None
) -> None:
    seen = visible_projects(tenant_of, actor, tenant_id, project_id)

    assert seen == sorted(seen)
    for project, tenant in tenant_of.items():
        viewable = actor.is_admin or tenant in actor.roles
        wanted = tenant_id in (None, tenant) and project_id in (None, project)
        assert (project in seen) == (viewable and wanted)
    assert set(seen) <= set(tenant_of)


@given(actors, st.none() | st.integers(1, 5), narrowing)
def test_only_an_unnarrowed_admin_search_skips_the_list_of_projects(
    actor: Actor, tenant_id: int | None, project_id: int | None
) -> None:
    every = sees_every_project(actor, tenant_id, project_id)

    assert every == (actor.is_admin and tenant_id is None and project_id is None)
