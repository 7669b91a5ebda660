"""Connecting a project to its tracker in a real browser, tested against the fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.integration.trackers.fake_github import TOKEN, FakeGitHub, serve


@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    return {"AIOPS_TRACKER_ALLOW_PRIVATE_NETWORKS": "true"}  # the fake GitHub is on 127.0.0.1


@pytest.fixture(scope="module")
def github_url() -> Iterator[str]:
    fake = FakeGitHub()
    fake.add_repo("acme/web")
    with serve(lambda: fake) as url:
        yield url


def sign_in(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.base_url + "/login")
    page.fill("input[name=email]", live_server.admin_email)
    page.fill("input[name=password]", live_server.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.base_url + "/")


def test_add_a_connection_test_it_and_remove_it(
    page: Any, live_server: LiveServer, github_url: str
) -> None:
    sign_in(page, live_server)
    page.click("nav >> text=Admin")
    page.click(".subnav >> text=Trackers")

    page.select_option("select[name=provider]", "github")
    page.fill("input[name=base_url]", github_url)
    page.fill("input[name=key]", "acme/web")
    page.fill("form[action='/admin/trackers'] input[name=token]", TOKEN)
    page.click("text=Add connection")
    assert "Tracker connection 1 added (acme/web)." in page.inner_text("main")
    row = page.locator("#tracker-1")
    assert "•••••••• saved" in row.inner_text()
    assert "/hooks/github?connection=1" in row.inner_text()

    row.locator("text=Test connection").click()
    assert "Connection 1 works: acme/web: 0 open issues" in page.inner_text("main")
    page.screenshot(path=str(page.output / "1-tested.png"), full_page=True)
    assert TOKEN not in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#tracker-1 >> text=Remove").click()
    assert "Tracker connection 1 removed" in page.inner_text("main")
    assert page.locator("#tracker-1").count() == 0
