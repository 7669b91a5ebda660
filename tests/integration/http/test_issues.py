"""The Issues page and /api/v1/issues on SQLite and PostgreSQL: tenant isolation, filters
(including awkward labels), bulk triage, and the dashboard's incident count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from aiops.domain.usecases.trackers import AddTrackerCommand
from tests.integration.http.conftest import World, bearer, csrf, post_form, sign_in

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LABELS = {1: ("incident",), 2: ("50%_off",), 3: ("día", 'say "hi"'), 4: ("incident",)}


@pytest.fixture
def issues(app: Container, world: World) -> dict[str, int]:
    """#1-#3 in acme/web, #4 in globex/api; returns issue ids by number."""
    ids = {}
    for project_id, numbers in ((world.web_id, (1, 2, 3)), (world.api_id, (4,))):
        connection = app.add_tracker()(
            AddTrackerCommand(
                project_id=project_id,
                provider="github",
                base_url="https://api.github.com",
                key="acme/web",
                token="a-token",
            )
        )
        assert connection.id is not None
        batch = [
            Issue(
                connection_id=connection.id,
                project_id=project_id,
                provider=Provider.GITHUB,
                remote=RemoteIssue(
                    external_id=str(n),
                    number=f"#{n}",
                    title=f"Issue {n}",
                    body="",
                    state=IssueState.OPEN,
                    labels=LABELS[n],
                    created_at=T0,
                    updated_at=T0 + timedelta(minutes=n),
                ),
            )
            for n in numbers
        ]
        with app.uow() as uow:
            uow.issues.add_many(batch)
            uow.commit()
            ids.update(
                (i.remote.number, i.id or 0)
                for i in uow.issues.for_connection(connection.id).values()
            )
    return ids


def api_numbers(client: TestClient, world: World, email: str, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/issues{query}", headers=bearer(world, email))
    assert response.status_code == 200, response.text
    return [i["remote"]["number"] for i in response.json()["issues"]]


def test_each_user_sees_only_their_tenants_issues(
    client: TestClient, world: World, issues: dict[str, int]
) -> None:
    assert api_numbers(client, world, World.VIEWER) == ["#3", "#2", "#1"]
    assert api_numbers(client, world, World.OTHER_OWNER) == ["#4"]
    assert api_numbers(client, world, World.NOBODY) == []
    sign_in(client, World.VIEWER)
    page = client.get("/issues").text
    assert "Issue 3" in page
    assert "Issue 4" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?label=50%25_off", ["#2"]),
        ("?label=50%25", []),  # a label is matched whole, never as a pattern
        ("?label=d%C3%ADa", ["#3"]),
        ("?label=say%20%22hi%22", ["#3"]),
        ("?incidents=1", ["#1"]),
        ("?q=Issue%202", ["#2"]),
        ("?sort=number&per_page=2&page=2", ["#3"]),
    ],
)
def test_filters_on_both_databases(
    client: TestClient, world: World, issues: dict[str, int], query: str, expected: list[str]
) -> None:
    assert api_numbers(client, world, World.MEMBER, query) == expected


def test_bad_filters_are_a_400_page_and_a_json_error(
    client: TestClient, world: World, issues: dict[str, int]
) -> None:
    sign_in(client, World.MEMBER)

    page = client.get("/issues?severity=sev9")
    api = client.get("/api/v1/issues?page=x", headers=bearer(world, World.MEMBER))

    assert page.status_code == 400
    assert "is not one of sev1" in page.text
    assert (api.status_code, api.json()["error"]["code"]) == (400, "invalid")


def test_bulk_triage_from_the_page_and_one_issue_from_the_api(
    client: TestClient, world: World, issues: dict[str, int]
) -> None:
    sign_in(client, World.MEMBER)
    response = client.post(
        "/issues/triage",
        data={
            "issue": [str(issues["#1"]), str(issues["#2"])],
            "status": "triaged",
            "severity": "sev3",
            "next": "https://evil.example.com/",
            "csrf_token": csrf(client, "/profile"),
        },
    )
    patched = client.patch(
        f"/api/v1/issues/{issues['#3']}",
        json={"severity": "sev1", "note": "pager"},
        headers=bearer(world, World.MEMBER),
    )
    theirs = client.patch(
        f"/api/v1/issues/{issues['#4']}",
        json={"severity": "sev1"},
        headers=bearer(world, World.MEMBER),
    )

    assert (response.status_code, response.headers["location"]) == (303, "/issues")
    assert "Triaged 2 issues." in client.get("/issues").text
    assert patched.json()["triage"] == {
        "status": "new",
        "severity": "sev1",
        "owner_id": None,
        "note": "pager",
    }
    assert theirs.status_code == 404
    assert api_numbers(client, world, World.MEMBER, "?severity=sev3") == ["#2", "#1"]
    assert api_numbers(client, world, World.OTHER_OWNER, "?severity=sev1") == []


def test_a_viewer_cannot_triage(client: TestClient, world: World, issues: dict[str, int]) -> None:
    sign_in(client, World.VIEWER)

    refused = post_form(client, "/issues/triage", {"issue": str(issues["#1"]), "status": "triaged"})

    assert refused.status_code == 403
    assert api_numbers(client, world, World.VIEWER, "?triage=triaged") == []


def test_the_dashboard_counts_open_incidents_per_project(
    client: TestClient, world: World, issues: dict[str, int]
) -> None:
    sign_in(client, World.MEMBER)

    page = client.get("/").text

    assert "1 open incident</a>" in page
    assert f"/issues?project={world.web_id}&amp;incidents=1&amp;state=open" in page
