"""aiops issues list: the Issues page from the terminal, with the same filters and pages.

The query is the page's: an IssueFilters for the SearchIssues use case, so a filter means the
same thing (and is refused with the same message) in both places.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from aiops.domain.model.access import Actor
    from aiops.domain.model.trackers import Issue
    from aiops.domain.usecases.triage import IssueFilters, IssuePage, SearchIssues

app = typer.Typer(help="Issues synced from the trackers.", no_args_is_help=True)

TABLE_COLUMNS = ("id", "project_id", "number", "state", "triage_status", "title", "labels")


@app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant (its slug).")] = None,
    project_id: Annotated[
        int | None, typer.Option("--project-id", help="Only this project.")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="github, gitlab or jira.")] = None,
    state: Annotated[str | None, typer.Option(help="open, closed or removed.")] = None,
    label: Annotated[str | None, typer.Option(help="Issues with this label.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Issues assigned to this login.")] = None,
    severity: Annotated[str | None, typer.Option(help="sev1, sev2, sev3 or sev4.")] = None,
    triage: Annotated[
        str | None, typer.Option(help="new, triaged, in_progress or resolved.")
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Words in the title or body (the page's search box).")
    ] = None,
    incidents: Annotated[
        bool, typer.Option("--incidents", help="Only incidents (incident label or a severity).")
    ] = False,
    sort: Annotated[str, typer.Option(help="updated, created, severity or number.")] = "updated",
    page: Annotated[int, typer.Option(help="Which page of --limit issues.")] = 1,
    limit: Annotated[int, typer.Option(help="Issues per page, 1-100.")] = 100,
    all_pages: Annotated[
        bool, typer.Option("--all", help="Every page, one after another.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help="A JSON array, every field.")] = False,
) -> None:
    """Issues you may see, newest first: one page of --limit (100), or --all of them."""
    from aiops.domain.errors import ValidationError
    from aiops.domain.usecases.triage import PER_PAGE_MAX, IssueFilters
    from aiops.entrypoints.cli._runtime import actor, open_container, print_object, print_table

    if not 1 <= limit <= PER_PAGE_MAX:
        raise ValidationError("limit", f"must be 1-{PER_PAGE_MAX} (--all for every page)")
    if all_pages and page != 1:
        raise ValidationError("page", "--all lists every page: leave --page out")
    filters = IssueFilters(
        tenant=tenant,
        project_id=project_id,
        provider=provider,
        state=state,
        label=label,
        assignee=assignee,
        severity=severity,
        triage_status=triage,
        text=search,
        incidents=incidents,
        sort=sort,
        page=page,
        per_page=limit,
    )
    search_issues, who = open_container().search_issues(), actor()
    found = list(
        _pages(search_issues, filters, who) if all_pages else [search_issues(filters, who)]
    )
    rows = [issue_json(issue) for result in found for issue in result.issues]
    if json:
        print_object(rows)
    else:
        print_table(
            [{**row, "labels": ",".join(row["labels"])} for row in rows],
            TABLE_COLUMNS,
            empty="no issues: add a tracker (aiops tracker add) and run aiops sync-issues"
            if not found[0].total
            else "no issues on this page",
        )
    last = found[-1]
    if not all_pages and last.page < last.pages:
        print(
            f"page {last.page} of {last.pages} ({last.total} issues): --page {last.page + 1} "
            "for the next, --all for every page",
            file=sys.stderr,
        )


def _pages(search: SearchIssues, filters: IssueFilters, actor: Actor) -> Iterator[IssuePage]:
    """Page after page until the last (as many as the total asked for when the first came)."""
    import attrs

    result = search(filters, actor)
    yield result
    for number in range(2, result.pages + 1):
        yield search(attrs.evolve(filters, page=number), actor)


def issue_json(issue: Issue) -> dict[str, Any]:
    """Every field of an issue, flat: the tracker's, then aiops's triage."""
    remote, triage = issue.remote, issue.triage
    return {
        "id": issue.id,
        "project_id": issue.project_id,
        "connection_id": issue.connection_id,
        "provider": issue.provider.value,
        "external_id": remote.external_id,
        "number": remote.number,
        "state": remote.state.value,
        "title": remote.title,
        "body": remote.body,
        "labels": list(remote.labels),
        "assignees": list(remote.assignees),
        "url": remote.url,
        "created_at": remote.created_at.isoformat(),
        "updated_at": remote.updated_at.isoformat(),
        "triage_status": triage.status.value,
        "severity": triage.severity.value if triage.severity else None,
        "owner_id": triage.owner_id,
        "note": triage.note,
    }
