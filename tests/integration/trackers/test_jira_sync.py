"""changed_since against the fake Jira over real HTTP, as Cloud and as Server: pages, JQL,
time zones, mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aiops.adapters.trackers import JiraTracker
from aiops.domain.model.trackers import IssueState
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_jira import EPOCH, FakeJira

BOTH = pytest.mark.parametrize("jira", ["cloud", "server"], indirect=True)
FIELDS = "summary,description,status,labels,assignee,created,updated"


@BOTH
def test_a_first_sync_pages_through_every_issue_in_three_searches(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    for _ in range(250):
        jira.add_issue("OPS")

    changes = jira_tracker.changed_since(jira_target, None, None)

    assert len(changes.issues) == 250
    assert len({i.external_id for i in changes.issues}) == 250
    assert len(jira.searches()) == 3
    assert changes.requests == 4  # serverInfo, then three pages
    assert changes.etag is None
    assert not changes.not_modified
    updated = [i.updated_at for i in changes.issues]
    assert updated == sorted(updated)


def test_cloud_follows_the_next_page_token_on_the_v3_search(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    for _ in range(250):
        jira.add_issue("OPS")

    jira_tracker.changed_since(jira_target, None, None)

    paths = {r.path for r in jira.searches()}
    tokens = [r.query.get("nextPageToken") for r in jira.searches()]
    assert paths == {"/rest/api/3/search/jql"}
    assert tokens == [None, "page-100", "page-200"]
    assert jira.searches()[0].query == {
        "jql": 'project = "OPS" ORDER BY updated ASC',
        "maxResults": "100",
        "fields": FIELDS,
    }


@pytest.mark.parametrize("jira", ["server"], indirect=True)
def test_server_pages_with_start_at_on_the_v2_search(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    for _ in range(250):
        jira.add_issue("OPS")

    jira_tracker.changed_since(jira_target, None, None)

    assert {r.path for r in jira.searches()} == {"/rest/api/2/search"}
    assert [r.query["startAt"] for r in jira.searches()] == ["0", "100", "200"]
    assert jira.searches()[0].query["fields"] == FIELDS


@BOTH
def test_an_empty_project_costs_one_search(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    assert jira_tracker.changed_since(jira_target, None, None).issues == ()
    assert len(jira.searches()) == 1


@BOTH
def test_since_lists_the_issues_updated_from_its_minute_in_the_users_time_zone(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.time_zone = "Europe/Berlin"
    for _ in range(30):
        jira.add_issue("OPS")  # updated at EPOCH + n minutes

    changes = jira_tracker.changed_since(
        jira_target, EPOCH + timedelta(minutes=21, seconds=40), None
    )
    again = jira_tracker.changed_since(jira_target, EPOCH + timedelta(minutes=25), None)

    assert [i.number for i in changes.issues] == [f"OPS-{n}" for n in range(21, 31)]
    assert [i.number for i in again.issues] == [f"OPS-{n}" for n in range(25, 31)]
    assert jira.searches()[0].query["jql"] == (
        'project = "OPS" AND updated >= "2026/01/01 01:21" ORDER BY updated ASC'
    )
    asked = [r.path for r in jira.requests if not r.path.endswith(("/search", "/search/jql"))]
    assert len([p for p in asked if p.endswith("/myself")]) == 1  # the zone is asked once
    assert len([p for p in asked if p.endswith("/serverInfo")]) == 1
    assert (changes.requests, again.requests) == (3, 1)


def test_a_time_zone_python_does_not_know_widens_the_window_by_fourteen_hours(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.time_zone = "Mars/Olympus_Mons"
    for _ in range(3):
        jira.add_issue("OPS", updated=EPOCH - timedelta(hours=15))
    jira.add_issue("OPS", updated=EPOCH - timedelta(hours=13))
    jira.add_issue("OPS", updated=EPOCH + timedelta(hours=1))

    changes = jira_tracker.changed_since(jira_target, datetime(2026, 1, 1, 1, 0, tzinfo=UTC), None)

    assert [i.number for i in changes.issues] == ["OPS-4", "OPS-5"]
    assert '"2025/12/31 11:00"' in jira.searches()[0].query["jql"]


@BOTH
def test_an_issue_is_mapped_with_its_key_state_labels_assignee_and_utc_times(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget, jira_url: str
) -> None:
    for _ in range(15):
        jira.add_issue("OPS")

    issues = {i.number: i for i in jira_tracker.changed_since(jira_target, None, None).issues}

    third = issues["OPS-3"]
    assert third.external_id == jira.issues["OPS"][2]["id"]
    assert third.title == "Issue 3"
    assert third.body == "Body of 3"
    assert third.state is IssueState.OPEN
    assert third.labels == ("bug",)
    assert third.assignees == ("Alice",)
    assert third.url == f"{jira_url}/browse/OPS-3"
    assert third.created_at == EPOCH
    assert third.updated_at == EPOCH + timedelta(minutes=3)
    assert third.updated_at.tzinfo is UTC
    assert issues["OPS-7"].body == ""
    assert issues["OPS-4"].assignees == ()
    assert issues["OPS-4"].labels == ()
    assert issues["OPS-10"].state is IssueState.CLOSED


def test_a_cloud_description_in_adf_becomes_text(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    steps = {
        "type": "orderedList",
        "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "restart ", "marks": [{"type": "strong"}]},
                {"type": "mention", "attrs": {"id": "5b10", "text": "@Alice"}},
            ]}]},
            {"type": "listItem", "content": [{"type": "paragraph", "content": [
                {"type": "inlineCard", "attrs": {"url": "https://status.example/1"}},
            ]}]},
        ],
    }  # fmt: skip
    heading = {
        "type": "heading",
        "attrs": {"level": 2},
        "content": [{"type": "text", "text": "Do"}],
    }
    jira.add_issue("OPS", description={"type": "doc", "version": 1, "content": [heading, steps]})

    (issue,) = jira_tracker.changed_since(jira_target, None, None).issues

    assert issue.body == "Do\n\n1. restart @Alice\n2. https://status.example/1"


@pytest.mark.parametrize("jira", ["server"], indirect=True)
def test_a_server_description_is_kept_as_written(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS", description="h2. Do\n* restart *now*")

    (issue,) = jira_tracker.changed_since(jira_target, None, None).issues

    assert issue.body == "h2. Do\n* restart *now*"


@BOTH
def test_the_deployment_is_asked_once_per_base_url(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira_tracker.changed_since(jira_target, None, None)
    jira_tracker.check(jira_target)
    jira_tracker.changed_since(jira_target, None, None)

    assert [r.path for r in jira.requests].count("/rest/api/2/serverInfo") == 1
