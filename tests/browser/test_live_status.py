"""Live status in a real browser (issue 18): the Sessions page of a real session (a real tmux,
as a throwaway account) follows the status stored in the database without a reload, as the
agent-event use case stores it. The tab title counts the user's waiting session as "(1) "
within a second, the row's status changes, the favicon gets its badge, "Notify me" shows a
browser notification when the session turns waiting; all go back when it works again.

The server's pane refresh is off here (AIOPS_SESSION_REFRESH_SECONDS=0): the ticking pane
would otherwise say "working" again a moment later."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import insert

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.engine import make_engine
from aiops.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from aiops.domain.model.sessions import AgentStatus, StatusSource
from tests.browser import test_session_pane
from tests.browser.conftest import LiveServer
from tests.browser.test_session_pane import Place, create_project, launch_shell
from tests.browser.test_workspace_card import sign_in
from tests.integration.git.conftest import make_remote, trusting
from tests.integration.tmux.conftest import needs_root

pytestmark = needs_root
place = test_session_pane.place  # its throwaway account and folder, a fixture here too
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.shownNotifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.shownNotifications.push(title);
    }
  }
  window.Notification = Recorded;
})();
"""


@pytest.fixture(scope="module")
def live_server_env(place: Place) -> dict[str, str]:
    return test_session_pane.session_env(place) | {"AIOPS_SESSION_REFRESH_SECONDS": "0"}


def store_status(live_server: LiveServer, session_id: int, status: AgentStatus) -> None:
    """What the agent-event use case does: the record's status fields, and the event."""
    database = Path(live_server.env["AIOPS_INSTANCE_PATH"]) / "aiops.db"
    owner = database.stat()
    engine = make_engine(f"sqlite:///{database}")
    now = datetime.now(UTC)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            session = uow.agent_sessions.get(session_id)
            assert session is not None
            uow.agent_sessions.update(
                attrs.evolve(
                    session, status=status, status_since=now, status_source=StatusSource.HOOK
                )
            )
            uow.commit()
        with engine.begin() as connection:
            connection.execute(
                insert(t.agent_events).values(
                    session_id=session_id, event="Notification", status=status.value,
                    source="hook", at=now,
                )
            )  # fmt: skip
    finally:
        engine.dispose()
        for suffix in ("-wal", "-shm"):  # the server's files stay the server's
            journal = database.with_name(database.name + suffix)
            if journal.exists():
                os.chown(journal, owner.st_uid, owner.st_gid)


def web_project(page: Any, live_server: LiveServer, place: Place, tmp: Path) -> None:
    """The project "Web" the launch form offers: the module's earlier test made it, or this one."""
    page.goto(live_server.base_url + "/sessions")
    if page.locator("form.launch select[name=project] option", has_text="Web").count():
        return
    remote = make_remote(tmp)
    trusting(place.account, remote)
    create_project(page, live_server, remote)


def title_counts(page: Any, prefix: str, base: str = "Sessions · aiops") -> float:
    """Seconds until the tab title reads `prefix + base` (polled in the page, no reload)."""
    started = time.monotonic()
    page.wait_for_function(f"() => document.title === {prefix + base!r}", timeout=5_000, polling=20)
    return time.monotonic() - started


def test_the_tab_title_counts_a_waiting_session_without_a_reload(
    page: Any, live_server: LiveServer, place: Place, shared_tmp: Path
) -> None:
    page.route("**/static/vendor/**", lambda route: route.abort())  # no terminal previews
    page.context.grant_permissions(["notifications"], origin=live_server.base_url)
    page.add_init_script(RECORD_NOTIFICATIONS)
    sign_in(page, live_server)
    web_project(page, live_server, place, shared_tmp)
    session_id = launch_shell(page, live_server)

    page.goto(live_server.base_url + "/sessions")
    row = page.locator(f"tr[data-session-id='{session_id}']")
    status = row.locator("span.status")
    icon = page.locator("link[rel=icon]")
    page.wait_for_function("() => document.documentElement.dataset.waitingMine === '0'")
    page.click("#notify-me")
    page.locator("#notify-me", has_text="Notifications on").wait_for(timeout=5_000)
    page.evaluate("window.stillThisPage = true")
    before = (page.title(), icon.get_attribute("href"), status.inner_text())

    store_status(live_server, session_id, AgentStatus.WAITING)
    waited = title_counts(page, "(1) ")
    page.locator(f"tr.status-waiting[data-session-id='{session_id}']").wait_for(timeout=2_000)
    page.wait_for_function("() => document.querySelector('link[rel=icon]').dataset.badge === '1'")
    page.screenshot(path=str(page.output / "1-waiting.png"), full_page=True)
    waiting = (status.inner_text(), icon.get_attribute("href") or "", status.get_attribute("title"))
    notes = page.evaluate("window.shownNotifications")

    store_status(live_server, session_id, AgentStatus.WORKING)
    working = title_counts(page, "")
    page.locator(f"tr.status-working[data-session-id='{session_id}']").wait_for(timeout=2_000)
    after = (page.title(), icon.get_attribute("href"), status.inner_text())

    assert before == ("Sessions · aiops", "/static/favicon.svg", "working")
    assert waited < 1.0, waited  # the "within 1 s"
    assert waiting[0] == "waiting"
    assert waiting[1].startswith("data:image/png;base64,")
    assert "waiting since" in (waiting[2] or "")
    assert "(from the hook)" in (waiting[2] or "")
    assert notes == [f"aiops: session {session_id} waits for you"]
    assert working < 1.0, working
    assert after == ("Sessions · aiops", "/static/favicon.svg", "working")
    assert page.evaluate("window.stillThisPage") is True  # never reloaded
    assert page.evaluate("window.shownNotifications") == notes  # not again for "working"


def test_a_page_opened_while_a_session_waits_counts_it_at_once_and_shows_it_on_its_card(
    page: Any, live_server: LiveServer, place: Place, shared_tmp: Path
) -> None:
    """After the test above: its session is there, working; now it waits before the
    dashboard loads. The title counts it as the stream opens, the project's card shows it,
    and no notification is shown for what was waiting already."""
    page.route("**/static/vendor/**", lambda route: route.abort())
    page.context.grant_permissions(["notifications"], origin=live_server.base_url)
    page.add_init_script(RECORD_NOTIFICATIONS)
    sign_in(page, live_server)
    page.evaluate("window.localStorage.setItem('aiops.notify', 'on')")
    web_project(page, live_server, place, shared_tmp)
    session_id = launch_shell(page, live_server)  # the test above's, or a new one if it ended
    store_status(live_server, session_id, AgentStatus.WAITING)

    page.goto(live_server.base_url + "/")
    title_counts(page, "(1) ", "Dashboard · aiops")
    badge = page.locator(f".card-sessions a.session-badge[data-session-id='{session_id}']")
    badge.wait_for(timeout=2_000)
    text = badge.inner_text()
    page.screenshot(path=str(page.output / "1-dashboard.png"), full_page=True)

    assert text == "shell waiting"
    assert badge.get_attribute("href") == f"/sessions/{session_id}"
    assert page.evaluate("window.shownNotifications") == []  # it waited before the page
    store_status(live_server, session_id, AgentStatus.WORKING)
    title_counts(page, "", "Dashboard · aiops")
    assert page.locator(".card-sessions a.session-badge").inner_text() == "shell working"


def test_tabs_of_one_browser_share_one_stream_and_hand_it_over(
    page: Any, live_server: LiveServer, place: Place, shared_tmp: Path
) -> None:
    """The first tab follows the stream and passes each board on; a second tab shows the
    same at once without a stream of its own; when the first closes, the second takes over."""
    sign_in(page, live_server)
    web_project(page, live_server, place, shared_tmp)
    launch_shell(page, live_server)  # the tests above's, or a new one if it ended
    first = page.context.new_page()
    role = "() => document.documentElement.dataset.liveRole"
    for tab in (first, page):
        tab.route("**/static/vendor/**", lambda route: route.abort())
        tab.goto(live_server.base_url + "/sessions")
        tab.wait_for_function("() => document.documentElement.dataset.waitingMine === '0'")
    session_id = int(page.locator("tr[data-session-id]").first.get_attribute("data-session-id"))
    roles = (first.evaluate(role), page.evaluate(role))

    store_status(live_server, session_id, AgentStatus.WAITING)
    lags = (title_counts(first, "(1) "), title_counts(page, "(1) "))
    first.close()  # the leader goes: the other tab takes the stream over
    page.wait_for_function(f"{role} === 'leader'", timeout=5_000)
    store_status(live_server, session_id, AgentStatus.WORKING)
    title_counts(page, "")

    assert roles == ("leader", "follower")
    assert max(lags) < 1.0, lags
