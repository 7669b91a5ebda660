"""The first thing a new admin does, in a real browser."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveServer


def test_sign_in_create_a_tenant_and_project_see_the_card_in_its_colour_sign_out(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.base_url + "/")
    assert page.url.endswith("/login?next=/")
    page.fill("input[name=email]", live_server.admin_email)
    page.fill("input[name=password]", live_server.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.base_url + "/")
    page.screenshot(path=str(page.output / "1-dashboard.png"), full_page=True)

    page.click("nav >> text=Admin")
    page.fill("input[name=slug]", "acme")
    page.fill("input[name=name]", "Acme Corp")
    page.fill("input[name=color]", "#e11d48")
    page.click("text=Create tenant")
    assert "Tenant Acme Corp created." in page.inner_text("main")

    page.click(".subnav >> text=Projects")
    page.select_option("select[name=tenant]", "acme")
    page.fill("input[name=slug]", "web")
    page.fill("input[name=name]", "Web shop")
    page.click("text=Create project")
    assert "Project Web shop created." in page.inner_text("main")
    page.screenshot(path=str(page.output / "2-projects.png"), full_page=True)

    page.click("nav >> text=Dashboard")
    card = page.locator("article.project-card", has_text="Web shop")
    assert card.count() == 1
    border = card.evaluate("el => getComputedStyle(el).borderTopColor")
    assert border == "rgb(225, 29, 72)"  # #e11d48
    page.fill("#project-filter", "nothing-matches")
    assert not card.is_visible()
    page.fill("#project-filter", "web")
    assert card.is_visible()
    page.screenshot(path=str(page.output / "3-card.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.goto(live_server.base_url + "/")
    assert "/login" in page.url
