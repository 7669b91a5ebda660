"""The triage view: find issues across every project a user may see, and triage them.

Incidents are issues that carry one of the configured incident labels, or that someone gave a
severity. Triage fields belong to aiops: a sync never changes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

import attrs

from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.tenants import Tenant
from aiops.domain.model.trackers import (
    Issue,
    IssueState,
    Provider,
    Severity,
    Triage,
    TriageStatus,
)
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_user
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import IssueQuery, UnitOfWork, UnitOfWorkFactory

SORTS = ("updated", "created", "severity", "number")
PER_PAGE_MAX = 100
BULK_MAX = 500
NOTE_MAX = 4000


def _choice(kind: type[StrEnum], value: str | None, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return kind(value).value
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValidationError(field, f"{str(value)[:40]!r} is not one of {allowed}") from None


@attrs.frozen(kw_only=True)
class IssueFilters:
    tenant: str | None = None
    project_id: int | None = None
    provider: str | None = None
    state: str | None = None
    label: str | None = None
    assignee: str | None = None
    severity: str | None = None
    triage_status: str | None = None
    text: str | None = None
    incidents: bool = False
    sort: str = "updated"
    page: int = 1
    per_page: int = 50


@attrs.frozen(kw_only=True)
class IssuePage:
    issues: tuple[Issue, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _short(value: str | None, field: str, limit: int = 200) -> str | None:
    if value is None or value.strip() == "":
        return None
    if len(value) > limit or any(ord(ch) < 32 for ch in value):
        raise ValidationError(field, f"must be at most {limit} printable characters")
    return value.strip()


class SearchIssues:
    def __init__(self, *, uow: UnitOfWorkFactory, incident_labels: Sequence[str]) -> None:
        self._uow = uow
        self._incident_labels = tuple(incident_labels)

    def __call__(self, filters: IssueFilters, actor: Actor = SYSTEM) -> IssuePage:
        if filters.sort not in SORTS:
            raise ValidationError("sort", f"use one of {', '.join(SORTS)}")
        if not 1 <= filters.per_page <= PER_PAGE_MAX or not 1 <= filters.page <= 100_000:
            raise ValidationError("page", f"pages are 1 or more, of 1-{PER_PAGE_MAX} issues")
        with self._uow(read_only=True) as uow:
            query = IssueQuery(
                project_ids=self._visible_projects(uow, filters, actor),
                provider=_choice(Provider, filters.provider, "provider"),
                state=_choice(IssueState, filters.state, "state"),
                label=_short(filters.label, "label", 100),
                assignee=_short(filters.assignee, "assignee", 100),
                severity=_choice(Severity, filters.severity, "severity"),
                triage_status=_choice(TriageStatus, filters.triage_status, "triage_status"),
                text=_short(filters.text, "q"),
                incident_labels=self._incident_labels if filters.incidents else None,
                sort=filters.sort,
                limit=filters.per_page,
                offset=(filters.page - 1) * filters.per_page,
            )
            return IssuePage(
                issues=tuple(uow.issues.list(query)),
                total=uow.issues.count(query),
                page=filters.page,
                per_page=filters.per_page,
            )

    @staticmethod
    def _visible_projects(uow: UnitOfWork, filters: IssueFilters, actor: Actor) -> list[int] | None:
        tenant_id = None
        if filters.tenant:
            tenant = uow.tenants.get_by_slug(filters.tenant)
            if tenant is None or not actor.may(Permission.VIEW, tenant.id or 0):
                raise NotFound(f"tenant {filters.tenant[:63]!r} does not exist")
            tenant_id = tenant.id
        if sees_every_project(actor, tenant_id, filters.project_id):
            return None
        return visible_projects(uow.projects.tenant_ids(), actor, tenant_id, filters.project_id)


def sees_every_project(actor: Actor, tenant_id: int | None, project_id: int | None) -> bool:
    """Whether the search needs no list of projects: an admin's, narrowed to none."""
    return actor.is_admin and tenant_id is None and project_id is None


def visible_projects(
    tenant_of: Mapping[int, int], actor: Actor, tenant_id: int | None, project_id: int | None
) -> list[int]:
    """The projects (of `tenant_of`, project id -> tenant id) whose issues `actor` may see,
    narrowed to one tenant and to one project when those are given."""
    return sorted(
        project
        for project, tenant in tenant_of.items()
        if actor.may(Permission.VIEW, tenant)
        and tenant_id in (None, tenant)
        and project_id in (None, project)
    )


class IncidentCounts:
    """Open incidents per project, for the dashboard's cards."""

    def __init__(self, *, uow: UnitOfWorkFactory, incident_labels: Sequence[str]) -> None:
        self._uow = uow
        self._incident_labels = tuple(incident_labels)

    def __call__(self, actor: Actor, project_ids: Sequence[int]) -> Mapping[int, int]:
        if not project_ids:
            return {}
        tenants = None if actor.is_admin else list(actor.roles)  # the tenants it may see
        with self._uow(read_only=True) as uow:
            return uow.issues.incident_counts(project_ids, self._incident_labels, tenants)


@attrs.frozen(kw_only=True)
class TriageCommand:
    """None keeps a field; `clear_severity` / `clear_owner` remove one."""

    issue_ids: Sequence[int]
    status: str | None = None
    severity: str | None = None
    clear_severity: bool = False
    owner_email: str | None = None
    clear_owner: bool = False
    note: str | None = None
    actor: Actor = SYSTEM


class TriageIssues:
    """Set the triage fields of one issue or many at once (members and owners of the issues'
    tenants; viewers may not; issues of tenants the actor is not in do not exist for them).
    All or nothing: one refused issue refuses the whole batch."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: TriageCommand) -> list[Issue]:
        """The issues as they are afterwards (changed or not), by id."""
        change = triage_change(cmd)
        with self._uow() as uow:
            if cmd.owner_email:
                change = attrs.evolve(change, owner_id=require_user(uow, cmd.owner_email).id)
            tenants = uow.projects.tenant_ids()
            result = [
                self._triage(uow, issue_id, change, cmd.actor, tenants)
                for issue_id in sorted(set(cmd.issue_ids))
            ]
            uow.commit()
        return result

    def _triage(
        self,
        uow: UnitOfWork,
        issue_id: int,
        change: TriageChange,
        actor: Actor,
        tenants: Mapping[int, int],
    ) -> Issue:
        issue, tenant = _triageable(uow, issue_id, actor, tenants)
        triage = change.applied_to(issue.triage)
        if triage != issue.triage:
            uow.issues.set_triage(issue_id, triage)
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="issue.triaged",
                target=f"issue:{issue_id}",
                tenant=tenant.slug,
                status=triage.status.value,
                severity=triage.severity.value if triage.severity else None,
            )
        return attrs.evolve(issue, triage=triage)


def _triageable(
    uow: UnitOfWork, issue_id: int, actor: Actor, tenants: Mapping[int, int]
) -> tuple[Issue, Tenant]:
    """The issue and its tenant, when the actor may triage it; NotFound when they may not
    see it, PermissionDenied when they only may."""
    missing = f"issue {issue_id} does not exist"
    issue = uow.issues.get(issue_id)
    if issue is None or not actor.may(Permission.VIEW, tenants[issue.project_id]):
        raise NotFound(missing)
    tenant = uow.tenants.get(tenants[issue.project_id])
    assert tenant is not None
    actor.require(Permission.USE, tenant, missing)
    return issue, tenant


@attrs.frozen(kw_only=True)
class TriageChange:
    """A checked TriageCommand: a field set to None is kept, unless it is cleared."""

    status: TriageStatus | None = None
    severity: Severity | None = None
    clear_severity: bool = False
    owner_id: int | None = None
    clear_owner: bool = False
    note: str | None = None

    def applied_to(self, triage: Triage) -> Triage:
        return attrs.evolve(
            triage,
            status=self.status or triage.status,
            severity=None if self.clear_severity else (self.severity or triage.severity),
            owner_id=None if self.clear_owner else (self.owner_id or triage.owner_id),
            note=triage.note if self.note is None else self.note,
        )


def triage_change(cmd: TriageCommand) -> TriageChange:
    """The command's change, checked (the owner is named by email: the caller looks it up)."""
    if not 0 < len(cmd.issue_ids) <= BULK_MAX:
        raise ValidationError("issues", f"select 1-{BULK_MAX} issues")
    status = _choice(TriageStatus, cmd.status, "status")
    severity = _choice(Severity, cmd.severity, "severity")
    if (cmd.clear_severity and severity) or (cmd.clear_owner and cmd.owner_email):
        raise ValidationError("triage", "set a field or clear it, not both at once")
    return TriageChange(
        status=TriageStatus(status) if status else None,
        severity=Severity(severity) if severity else None,
        clear_severity=cmd.clear_severity,
        clear_owner=cmd.clear_owner,
        note=None if cmd.note is None else _note(cmd.note),
    )


def _note(value: str) -> str:
    if len(value) > NOTE_MAX or "\x00" in value:
        raise ValidationError("note", f"must be at most {NOTE_MAX} characters")
    return value.strip()
