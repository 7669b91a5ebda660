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
