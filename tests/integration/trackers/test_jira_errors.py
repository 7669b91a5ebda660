"""What goes wrong with Jira, said in Tracker* errors: the token, the project, the server, the
base URL, the payload, a pagination that would never end."""

from __future__ import annotations

import socket

import pytest

from aiops.adapters.trackers import JiraTracker, RetryPolicy
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerUnreachable,
)
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_jira import CLOUD_TOKEN, SERVER_TOKEN, FakeJira

BOTH = pytest.mark.parametrize("jira", ["cloud", "server"], indirect=True)
SERVER = pytest.mark.parametrize("jira", ["server"], indirect=True)


@BOTH
def test_check_names_the_project(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    assert jira_tracker.check(jira_target) == "OPS: Operations"
    version = "3" if jira.mode == "cloud" else "2"
    assert jira.requests[-1].path == f"/rest/api/{version}/project/OPS"


def test_a_cloud_token_email_colon_api_token_is_sent_as_basic(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira_tracker.check(jira_target)

    assert jira.schemes == ["Basic bot@acme.example", "Basic bot@acme.example"]


@SERVER
def test_a_personal_access_token_is_sent_as_bearer(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira_tracker.check(jira_target)

    assert jira.schemes == ["Bearer", "Bearer"]


@pytest.mark.parametrize(
    ("jira", "token"),
    [
        ("cloud", "bot@acme.example:wrong-api-token"),
        ("cloud", SERVER_TOKEN),  # a PAT is Bearer, which Cloud refuses here
        ("server", "pat-wrong"),
        ("server", CLOUD_TOKEN),
    ],
    indirect=["jira"],
)
def test_a_refused_token_says_so_without_showing_it(
    jira: FakeJira, jira_tracker: JiraTracker, jira_url: str, token: str
) -> None:
    wrong = TrackerTarget(base_url=jira_url, key="OPS", token=token)

    with pytest.raises(TrackerAuthFailed, match=r"^127\.0\.0\.1: the token was refused$"):
        jira_tracker.changed_since(wrong, None, None)
    with pytest.raises(TrackerAuthFailed, match=r"^127\.0\.0\.1: the token was refused$"):
        jira_tracker.check(wrong)


@BOTH
def test_an_unknown_project_is_not_found_in_the_search_and_the_check(
    jira: FakeJira, jira_tracker: JiraTracker, jira_url: str
) -> None:
    other = TrackerTarget(base_url=jira_url, key="NOPE", token=jira.token)

    message = r"^Jira project NOPE not found \(or the token cannot see it\)$"
    with pytest.raises(TrackerNotFound, match=message):
        jira_tracker.changed_since(other, None, None)
    with pytest.raises(TrackerNotFound, match=message):
        jira_tracker.check(other)


@BOTH
def test_a_transient_server_error_is_retried(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    jira_tracker.changed_since(jira_target, None, None)  # serverInfo known
    jira.fail_next = 2

    changes = jira_tracker.changed_since(jira_target, None, None)

    assert [i.number for i in changes.issues] == ["OPS-1"]
    assert changes.requests == 3


def test_a_server_that_keeps_failing_gives_up_after_three_attempts(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.fail_next = 10

    with pytest.raises(TrackerError, match=r"127\.0\.0\.1: the server failed \(500\) 3 times"):
        jira_tracker.changed_since(jira_target, None, None)
    assert len(jira.requests) == 3


def test_a_host_that_does_not_listen_is_unreachable_after_retries() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        target = TrackerTarget(base_url=f"http://127.0.0.1:{port}", key="OPS", token="t")
        policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
        with (
            JiraTracker(allow_private_networks=True, retry=policy) as tracker,
            pytest.raises(TrackerUnreachable, match=r"127\.0\.0\.1: cannot connect"),
        ):
            tracker.check(target)


def test_a_base_url_that_serves_a_web_page_is_not_jira(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.web_page = True

    with pytest.raises(TrackerError, match="answered with a web page, not Jira's REST API"):
        jira_tracker.check(jira_target)


def test_a_base_url_without_a_jira_api_says_so(
    jira: FakeJira, jira_tracker: JiraTracker, jira_url: str
) -> None:
    elsewhere = TrackerTarget(base_url=f"{jira_url}/wiki", key="OPS", token=jira.token)

    with pytest.raises(TrackerNotFound, match=r"no Jira REST API under .*/wiki \(is the base"):
        jira_tracker.changed_since(elsewhere, None, None)


def test_json_that_is_not_jiras_server_info_is_refused(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.not_jira = True

    with pytest.raises(TrackerError, match="does not answer like Jira"):
        jira_tracker.check(jira_target)


@pytest.mark.parametrize("key", ["ops", "OPS-1", 'OPS" OR project = "X', "", "1OPS", "O P"])
def test_a_key_that_is_not_a_project_key_is_refused_before_any_request(
    jira: FakeJira, jira_tracker: JiraTracker, jira_url: str, key: str
) -> None:
    bad = TrackerTarget(base_url=jira_url, key=key, token=jira.token)

    with pytest.raises(TrackerError, match="is not a Jira project key"):
        jira_tracker.changed_since(bad, None, None)
    assert jira.requests == []


@pytest.mark.parametrize("base_url", ["ftp://jira.example", "https://", "https://h/jira?x=1"])
def test_a_base_url_that_is_not_http_is_refused(jira_tracker: JiraTracker, base_url: str) -> None:
    with pytest.raises(TrackerError, match="is not a Jira URL"):
        jira_tracker.check(TrackerTarget(base_url=base_url, key="OPS", token="t"))


@BOTH
@pytest.mark.parametrize(
    ("garbage", "message"),
    [
        (b"{not json", "the answer is not valid JSON"),
        (b"[]", "Jira sent list where a search answer belongs"),
        (b'{"issues": 3, "total": 3}', "Jira sent a search answer whose 'issues' is not a list"),
        (
            b'{"issues": [{"id": "1", "fields": {}}], "total": 1}',
            "an issue whose 'key' is not a str",
        ),
        (
            b'{"issues": [{"id": "1", "key": "OPS-1", "fields": {"summary": "s"}}], "total": 1}',
            "Jira sent NoneType where a status belongs",
        ),
    ],
)
def test_a_malformed_answer_is_a_clear_tracker_error(
    jira: FakeJira,
    jira_tracker: JiraTracker,
    jira_target: TrackerTarget,
    garbage: bytes,
    message: str,
) -> None:
    jira.garbage = garbage

    with pytest.raises(TrackerError, match=message):
        jira_tracker.changed_since(jira_target, None, None)


def test_a_next_page_token_that_repeats_stops_the_sync(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    jira.endless = "repeat"

    with pytest.raises(TrackerError, match=r"pagination loops \(a next page repeats\)"):
        jira_tracker.changed_since(jira_target, None, None)
    assert len(jira.searches()) == 2


@SERVER
def test_a_start_at_that_never_advances_stops_the_sync(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    for _ in range(3):
        jira.add_issue("OPS")
    jira.endless = "stuck"

    with pytest.raises(TrackerError, match="asked for issues from 3, got them from 0; stopped"):
        jira_tracker.changed_since(jira_target, None, None)
    assert len(jira.searches()) == 2


@SERVER
def test_pages_that_repeat_their_issues_stop_the_sync(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    for _ in range(3):
        jira.add_issue("OPS")
    jira.endless = "repeat"  # every page the first, under a total that never comes

    with pytest.raises(TrackerError, match=r"pagination loops \(a page repeats its issues\)"):
        jira_tracker.changed_since(jira_target, None, None)
    assert len(jira.searches()) == 2


@SERVER
def test_a_total_that_lies_ends_at_the_first_empty_page(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    for _ in range(150):
        jira.add_issue("OPS")
    jira.endless = "lying"

    changes = jira_tracker.changed_since(jira_target, None, None)

    assert len(changes.issues) == 150
    assert len(jira.searches()) == 3


@SERVER
def test_a_page_limit_stops_a_search_that_keeps_finding_issues(
    jira: FakeJira, jira_target: TrackerTarget
) -> None:
    for _ in range(250):
        jira.add_issue("OPS")
    with (
        JiraTracker(allow_private_networks=True, max_pages=2) as tracker,
        pytest.raises(TrackerError, match="more than 2 pages; stopped"),
    ):
        tracker.changed_since(jira_target, None, None)


def test_another_refused_search_repeats_jiras_reason(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.jql_error = "Date value '2026/01/01 00:00' for field 'updated' is invalid.\n  Try again."

    with pytest.raises(
        TrackerError,
        match=r"^127\.0\.0\.1: Jira refused the search \(400\): Date value .* is invalid\. Try again\.$",
    ) as caught:
        jira_tracker.changed_since(jira_target, None, None)
    assert not isinstance(caught.value, TrackerNotFound)


def test_a_loopback_base_url_is_refused_unless_private_networks_are_allowed(
    jira: FakeJira, jira_target: TrackerTarget
) -> None:
    with (
        JiraTracker() as tracker,
        pytest.raises(TrackerError, match=r"^127\.0\.0\.1: refused, 127\.0\.0\.1 is a loopback"),
    ):
        tracker.changed_since(jira_target, None, None)
    assert jira.requests == []
