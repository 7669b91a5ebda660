"""A user's git workspace from its dashboard card, in a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.accounts import IS_ROOT, account_named, open_folder, service_user
from tests.browser.conftest import LiveServer
from tests.integration.git.conftest import make_remote, trusting


@pytest.fixture(scope="module")
def live_server_env() -> Iterator[dict[str, str]]:
    """The admin has no Linux account, so git works as aiops's own (the service account) in a
    workspace folder that account must be able to make: a workspace root of its own."""
    folder = open_folder("aiops-card-")
    root = folder / "workspaces"
    root.mkdir()
    if IS_ROOT:
        service = account_named(service_user())
        os.chown(root, service.uid, service.gid)
    yield {"AIOPS_WORKSPACE_ROOT": str(root)}
    shutil.rmtree(folder, ignore_errors=True)


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
    if IS_ROOT:  # git clones it as the service account, which must trust root's repository
        trusting(account_named(service_user()), remote)
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
    card.locator("text=main -> origin/main").wait_for()  # sent in the background, then reloaded
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


def test_a_clone_shows_its_percentage_on_the_card_and_cancel_stops_it(
    page: Any, live_server: LiveServer, live_server_env: dict[str, str]
) -> None:
    """The generated large repository over `git daemon` (a clone takes seconds): the card
    shows git's progress while the clone runs, without a page load, and Cancel stops it."""
    from tests.large_repo import large

    with large.git_daemon(Path(large.large_repo())) as url:
        sign_in(page, live_server)
        page.goto(live_server.base_url + "/admin/projects")
        page.select_option("select[name=tenant]", index=0)
        page.fill("input[name=slug]", "big")
        page.fill("input[name=name]", "Big")
        page.fill("input[name=repo_url]", url)
        page.click("text=Create project")
        page.click("nav >> text=Dashboard")
        card = page.locator("article.project-card", has_text="Big")
        for _ in range(50):
            if card.locator("text=Initialize workspace").count():
                break
            page.wait_for_timeout(100)
            page.reload()
        loads: list[str] = []
        page.on("load", lambda _: loads.append(page.url))

        card.locator("text=Initialize workspace").click()
        label = card.locator(".ws-progress .ws-percent")
        label.filter(has_text="clone: receiving").wait_for(timeout=60_000)
        first = label.inner_text()
        page.wait_for_function(
            "(first) => document.querySelector('.ws-progress .ws-percent').textContent !== first",
            arg=first,
            timeout=30_000,
        )
        assert loads == []  # the percentage moved without a page load
        percent = int(card.locator(".ws-progress progress").get_attribute("value") or "0")
        assert 0 <= percent <= 100
        page.screenshot(path=str(page.output / "3-cloning.png"), full_page=True)
        card.locator(".ws-cancel button").click()
        page.wait_for_load_state("load")
        page.locator("text=cancelled the clone").wait_for(timeout=30_000)

    card = page.locator("article.project-card", has_text="Big")
    assert card.locator("text=Initialize workspace").count() == 1
    root = Path(live_server_env["AIOPS_WORKSPACE_ROOT"])
    assert list(root.glob("*/workspace/big")) == []
    page.screenshot(path=str(page.output / "4-cancelled.png"), full_page=True)
