"""A user's git workspace from its dashboard card, in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from tests.integration.git.conftest import make_remote


def sign_in(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.base_url + "/login")
    page.fill("input[name=email]", live_server.admin_email)
    page.fill("input[name=password]", live_server.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.base_url + "/")


def test_initialize_a_workspace_then_branch_from_the_card(
    page: Any, live_server: LiveServer, shared_tmp: Path
) -> None:
    remote = make_remote(shared_tmp)
    sign_in(page, live_server)
    page.goto(live_server.base_url + "/admin/projects")
    page.select_option("select[name=tenant]", index=0)
    page.fill("input[name=slug]", "shop")
    page.fill("input[name=name]", "Shop")
    page.fill("input[name=repo_url]", str(remote))
    page.click("text=Create project")
    assert "Project Shop created." in page.inner_text("main")

    page.click("nav >> text=Dashboard")
    card = page.locator("article.project-card", has_text="Shop")
    for _ in range(50):  # the first view schedules a background look at the workspace
        if card.locator("text=Initialize workspace").count():
            break
        page.wait_for_timeout(100)
        page.reload()
    card.locator("text=Initialize workspace").click()
    card = page.locator("article.project-card", has_text="Shop")
    assert "main -> origin/main" in card.inner_text()
    assert "clean" in card.inner_text()
    assert "Initial commit" in card.inner_text()
    page.screenshot(path=str(page.output / "1-initialized.png"), full_page=True)

    card.locator("summary", has_text="Branches").click()
    card.locator("form[action$='/create-branch'] input[name=branch]").fill("topic")
    card.locator("form[action$='/create-branch'] input[name=from]").fill("origin/feature")
    card.locator("form[action$='/create-branch'] button").click()

    assert "Created topic and checked it out." in page.inner_text("main")
    card = page.locator("article.project-card", has_text="Shop")
    assert "topic -> origin/feature" in card.inner_text()
    assert "Add the feature" in card.inner_text()
    page.screenshot(path=str(page.output / "2-branched.png"), full_page=True)
