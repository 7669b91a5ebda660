"""The Issues page reads like a tracker, in a real browser: 25 issues synced from the fake
GitHub through a signed webhook, one line each (at least 15 whole rows in a 1280x800
window), and the agent actions folded into a menu per row that still launch a session primed
with the issue and write AGENTS.override.md into the workspace, as the admin's Linux account."""

from __future__ import annotations

import hashlib
import hmac
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import test_session_pane
from tests.browser.conftest import LiveServer
from tests.browser.test_session_pane import Place, create_project
from tests.browser.test_workspace_card import sign_in
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.tmux.conftest import needs_root
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub, serve

pytestmark = needs_root
place = test_session_pane.place  # its throwaway account and folder, a fixture here too
SECRET = "whsec-browser-issues"
ISSUES = 25
LONG_TITLE = "A title long enough to need two lines of the column, were it not cut " * 3
WIDTH, HEIGHT = 1280, 800


@pytest.fixture(scope="module")
def live_server_env(place: Place) -> dict[str, str]:
    return test_session_pane.session_env(place) | {
        "AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS": "true",  # the fake GitHub is on 127.0.0.1
    }


@pytest.fixture(scope="module")
def github_url() -> Iterator[str]:
    fake = FakeGitHub()
    for _ in range(ISSUES):
        fake.add_issue("acme/web")
    longest = fake.repos["acme/web"][-1]
    longest["title"] = LONG_TITLE
    longest["labels"] = [{"name": f"label-{n}"} for n in range(12)]
    with serve(lambda: fake) as url:
        yield url


def connect_tracker(page: Any, live_server: LiveServer, github_url: str) -> str:
    """Admin -> Trackers: the project Web to acme/web, with a webhook secret; its hook URL."""
    page.goto(live_server.base_url + "/admin/trackers")
    option = page.locator("select[name=project_id] option", has_text="/web")
    page.select_option("select[name=project_id]", option.get_attribute("value"))
    page.select_option("select[name=provider]", "github")
    page.fill("input[name=base_url]", github_url)
    page.fill("input[name=key]", "acme/web")
    page.fill("form[action='/admin/trackers'] input[name=token]", TOKEN)
    page.fill("form[action='/admin/trackers'] input[name=webhook_secret]", SECRET)
    page.click("text=Add connection")
    assert "Tracker connection 1 added (acme/web)." in page.inner_text("main")
    return f"{live_server.base_url}/hooks/github?connection=1"


def deliver_webhook(url: str) -> None:
    body = b'{"action": "opened", "issue": {"number": 1}}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 (our own server on 127.0.0.1)
        url,
        data=body,
        headers={
            "X-Hub-Signature-256": f"sha256={digest}",
            "X-GitHub-Delivery": "browser-1",
            "X-GitHub-Event": "issues",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 202


def rows(page: Any) -> Any:
    return page.locator("table.issues tbody tr")


def wait_for_issues(page: Any, live_server: LiveServer) -> None:
    """The webhook's sync runs in the background: reload until every issue is listed."""
    for _ in range(100):
        page.goto(live_server.base_url + "/issues")
        if rows(page).count() == ISSUES:
            return
        page.wait_for_timeout(100)
    pytest.fail(f"{rows(page).count()} of {ISSUES} issues listed")


def whole_rows_in_view(page: Any) -> list[dict[str, float]]:
    boxes = [rows(page).nth(n).bounding_box() for n in range(rows(page).count())]
    return [b for b in boxes if b and b["y"] >= 0 and b["y"] + b["height"] <= HEIGHT]


def row_of(page: Any, number: str) -> Any:
    return rows(page).filter(has=page.locator(f"input[aria-label='Select {number}']"))


def test_one_line_per_issue_and_the_actions_in_a_menu(
    page: Any,
    live_server: LiveServer,
    place: Place,
    shared_tmp: Path,
    github_url: str,
) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    sign_in(page, live_server)
    remote = make_remote(shared_tmp)  # git clones it as the account, which must trust it
    trusting(place.account, remote)
    create_project(page, live_server, remote)
    deliver_webhook(connect_tracker(page, live_server, github_url))
    wait_for_issues(page, live_server)

    visible = whole_rows_in_view(page)
    page.screenshot(path=str(page.output / "0-issues.png"))
    heights = {
        round(box["height"]) for n in range(ISSUES) if (box := rows(page).nth(n).bounding_box())
    }
    assert len(visible) >= 15, f"{len(visible)} whole rows in a {WIDTH}x{HEIGHT} window"
    assert max(heights) < 40, f"row heights {heights}: a row wrapped"
    assert page.locator("table.issues tbody button:visible").count() == 0  # folded away
    assert page.locator("table.issues tbody select:visible").count() == 0
    longest = row_of(page, f"#{ISSUES}")
    assert longest.locator("td[title]").first.get_attribute("title") == LONG_TITLE
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # no sideways scroll

    # Launch, from issue #3's menu: the session is primed with that issue.
    third = row_of(page, "#3")
    third.locator("summary").click()
    assert third.locator("button", has_text="Launch").is_visible()
    page.screenshot(path=str(page.output / "1-menu-open.png"))
    third.locator("select[name=tool]").select_option("shell")
    third.locator("button", has_text="Launch").click()
    page.wait_for_url(f"{live_server.base_url}/sessions/*")
    assert "shell launched in" in page.inner_text("main")
    # The session runs in the issue's own worktree (aiops/gh-3-issue-3), primed there.
    trees = place.root / "home" / place.account.name / "worktrees" / "web"
    assert "Title: Issue 3\n" in (trees / "aiops-gh-3-issue-3" / "AGENTS.override.md").read_text()
    context = place.root / "home" / place.account.name / "workspace" / "web" / "AGENTS.override.md"
    session_url = page.url

    # Populate AGENTS.override.md, from issue #7's menu: the file now holds #7.
    page.goto(live_server.base_url + "/issues")
    seventh = row_of(page, "#7")
    seventh.locator("summary").click()
    seventh.locator("button", has_text="Populate AGENTS.override.md").click()
    page.wait_for_url(live_server.base_url + "/issues")
    assert "wrote AGENTS.override.md in" in page.inner_text("main")
    text = context.read_text()
    assert "Title: Issue 7\n" in text
    assert "Title: Issue 3\n" not in text  # the workspace's own file, not the worktree's

    page.goto(session_url)
    page.on("dialog", lambda dialog: dialog.accept())  # the Stop button asks first
    page.click("form[action$='/stop'] button")
    page.wait_for_url(live_server.base_url + "/sessions")
    assert "stopped" in page.inner_text("main")
