"""JiraTracker as IssueComments over real HTTP, Cloud (ADF, v3) and Server (wiki text, v2): the
Markdown aiops writes arrives readable, its hidden marker as a visible "aiops:KEY" line that
find_comment finds again."""

from __future__ import annotations

import pytest

from aiops.adapters.trackers import JiraTracker
from aiops.adapters.trackers.adf import adf_to_text
from aiops.adapters.trackers.jira_comments import markdown_to_adf, markdown_to_wiki
from aiops.adapters.trackers.writes import holds_marker
from aiops.domain.model.trackers import (
    TrackerAuthFailed,
    TrackerError,
    TrackerNotFound,
    TrackerRateLimited,
)
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.fake_jira import FakeJira

BODY = (
    "Pull request opened: [acme/web#5](https://github.example/acme/web/pull/5)\n"
    "by alice's agent\n"
    "\n"
    "- 1a2b3c Fix login\n"
    "- 4d5e6f Test it\n"
    "\n"
    "<!-- aiops:comment:pr:5:opened -->"
)
MARKER = "<!-- aiops:comment:pr:5:opened -->"
BOTH = pytest.mark.parametrize("jira", ["cloud", "server"], indirect=True)


@BOTH
def test_a_comment_is_posted_once_and_found_by_its_marker(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    jira.add_comment(
        "OPS-1", "someone's remark" if jira.mode == "server" else markdown_to_adf("hi")
    )

    ident = jira_tracker.add_comment(jira_target, "OPS-1", BODY)

    stored = jira.issue_comments("OPS-1")[-1]
    assert ident == stored["id"]
    [write] = jira.writes()
    version = "3" if jira.mode == "cloud" else "2"
    assert write.path == f"/rest/api/{version}/issue/OPS-1/comment"
    assert jira_tracker.find_comment(jira_target, "OPS-1", MARKER) == ident
    assert (
        jira_tracker.find_comment(jira_target, "OPS-1", "<!-- aiops:comment:pr:5:merged -->")
        is None
    )
    assert jira_tracker.find_comment(jira_target, "OPS-1", "<!-- aiops:comment:pr:5 -->") is None


def test_cloud_gets_an_adf_document_with_links_bullets_and_a_visible_marker(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")

    jira_tracker.add_comment(jira_target, "OPS-1", BODY)

    document = jira.writes()[0].body["body"]  # type: ignore[index]
    assert document["type"] == "doc"
    first, bullets, marker = document["content"]
    link = first["content"][1]
    assert link == {
        "type": "text",
        "text": "acme/web#5",
        "marks": [{"type": "link", "attrs": {"href": "https://github.example/acme/web/pull/5"}}],
    }
    assert first["content"][2] == {"type": "hardBreak"}
    assert bullets["type"] == "bulletList"
    assert len(bullets["content"]) == 2
    assert marker["content"][0]["text"] == "aiops:comment:pr:5:opened"
    assert adf_to_text(document).endswith("aiops:comment:pr:5:opened")


@pytest.mark.parametrize("jira", ["server"], indirect=True)
def test_server_gets_wiki_text(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")

    jira_tracker.add_comment(jira_target, "OPS-1", BODY)

    assert jira.writes()[0].body == {
        "body": "Pull request opened: [acme/web#5|https://github.example/acme/web/pull/5]\n"
        "by alice's agent\n\n* 1a2b3c Fix login\n* 4d5e6f Test it\n\n"
        "{color:#97a0af}aiops:comment:pr:5:opened{color}"
    }


@BOTH
def test_find_comment_reads_every_page(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    for n in range(120):
        jira.add_comment("OPS-1", f"chatter {n}" if jira.mode == "server" else markdown_to_adf("x"))
    ident = jira_tracker.add_comment(jira_target, "OPS-1", BODY)

    assert jira_tracker.find_comment(jira_target, "OPS-1", MARKER) == ident
    starts = [
        r.query["startAt"]
        for r in jira.requests
        if r.path.endswith("/comment") and r.method == "GET"
    ]
    assert starts == ["0", "100"]


@BOTH
def test_refusals_name_the_permission_and_a_failed_write_is_sent_once(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    jira.fail_writes = [403, 500]

    with pytest.raises(TrackerAuthFailed, match="it needs the Add comments permission") as denied:
        jira_tracker.add_comment(jira_target, "OPS-1", BODY)
    with pytest.raises(TrackerError, match=r"the server failed \(500\)") as failed:
        jira_tracker.add_comment(jira_target, "OPS-1", BODY)

    assert len(jira.writes()) == 2
    assert jira.issue_comments("OPS-1") == []
    secret = jira.token.partition(":")[2] or jira.token
    assert secret not in str(denied.value) + str(failed.value)


def test_a_lost_answer_leaves_the_comment_findable(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    jira.lose_answers = 1

    with pytest.raises(TrackerError, match=r"\(502\)") as raised:
        jira_tracker.add_comment(jira_target, "OPS-1", BODY)

    assert jira.token not in str(raised.value)
    assert (
        jira_tracker.find_comment(jira_target, "OPS-1", MARKER)
        == jira.issue_comments("OPS-1")[0]["id"]
    )


def test_rate_limited_unknown_and_bad_keys(
    jira: FakeJira, jira_tracker: JiraTracker, jira_target: TrackerTarget
) -> None:
    jira.add_issue("OPS")
    with pytest.raises(TrackerNotFound, match=r"^Jira issue OPS-9 not found"):
        jira_tracker.add_comment(jira_target, "OPS-9", BODY)
    with pytest.raises(TrackerError, match="is not a Jira issue key"):
        jira_tracker.find_comment(jira_target, "OPS-1/../x", MARKER)
    jira.fail_writes = [429]
    with pytest.raises(TrackerRateLimited):
        jira_tracker.add_comment(jira_target, "OPS-1", BODY)


def test_the_conversions_keep_plain_text_and_headings() -> None:
    assert (
        markdown_to_wiki("## Review\nsee https://x.example/a")
        == "h2. Review\nsee https://x.example/a"
    )
    document = markdown_to_adf("## Review\nsee https://x.example/a")
    heading, paragraph = document["content"]  # type: ignore[misc]
    assert heading == {
        "type": "heading",
        "attrs": {"level": 2},
        "content": [{"type": "text", "text": "Review"}],
    }
    assert paragraph["content"][1]["marks"][0]["attrs"]["href"] == "https://x.example/a"  # type: ignore[index]
    assert adf_to_text(markdown_to_adf("")) == ""


@pytest.mark.parametrize(
    ("body", "marker", "found"),
    [
        ("x\n<!-- aiops:comment:pr:5:opened -->", MARKER, True),
        ("x\naiops:comment:pr:5:opened", MARKER, True),  # Jira's visible line
        ("{color:#97a0af}aiops:comment:pr:5:opened{color}", MARKER, True),  # Jira Server
        ("x\n<!-- aiops:comment:pr:5:opened -->", "aiops:comment:pr:5:opened", True),
        ("<!-- aiops:review:pr:5:12 -->", "<!-- aiops:review:pr:5:1 -->", False),
        ("<!-- aiops:review:pr:5:1 -->", "<!-- aiops:review:pr:5:12 -->", False),
        ("<!-- aiops:comment:pr:15:opened -->", MARKER, False),
        ("anything", "", False),
    ],
)
def test_a_marker_matches_whole_in_every_shape(body: str, marker: str, found: bool) -> None:
    assert holds_marker(body, marker) is found
