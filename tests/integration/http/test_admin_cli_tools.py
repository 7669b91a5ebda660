"""Admin -> Settings -> CLI tools through real HTTP with a fake npm (AIOPS_NPM): the card's
versions, an install that runs in the background while its page follows the output, the
result on the page and in the audit trail, and who may do it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from aiops.config import Settings, load_settings
from aiops.container import Container
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.fake_npm import FakeNpm
from tests.integration.http.conftest import World, post_form, sign_in

FLASH = re.compile(r'class="flash flash-(\w+)" role="status">([^<]*)<')
RUN = re.compile(r"^/admin/cli-tools/runs/(\d+)$")


@pytest.fixture
def npm(tmp_path: Path) -> FakeNpm:
    return FakeNpm(tmp_path / "npm")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, npm: FakeNpm) -> Settings:
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        argon2_time_cost=2,
        argon2_memory_kib=19 * 1024,
        argon2_parallelism=1,
        npm=str(npm.path),
    )


def card(page: str) -> str:
    start = page.index('data-card="cli tools"')
    return page[start : page.index("</section>", start)]


def start(client: TestClient, tool: str) -> Any:
    return post_form(client, f"/admin/cli-tools/{tool}/install", {})


def follow(client: TestClient, run: str) -> dict[str, Any]:
    """Poll the run's output the way cli_run.js does, until it is done."""
    seen, lines = 0, []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data: dict[str, Any] = client.get(f"{run}/output", params={"since": seen}).json()
        lines += data["lines"]
        seen = data["next"]
        if data["done"]:
            return {**data, "lines": lines}
        time.sleep(0.1)
    raise AssertionError(f"{run} did not finish")


def test_an_admin_installs_a_tool_and_follows_its_output(
    app: Container, client: TestClient, world: World, npm: FakeNpm
) -> None:
    npm.install_state({"@anthropic-ai/claude-code": "2.0.0"})
    npm.configure(lines=5, sleep=0.2, version="0.42.0")
    sign_in(client, World.ADMIN)

    before = card(client.get("/admin/settings").text)
    started = start(client, "codex")
    run = started.headers["location"]
    running_page = client.get(run).text
    output = follow(client, run)
    done_page = client.get(run).text
    after = card(client.get("/admin/settings").text)

    assert '<tr data-tool="codex">' in before
    assert "@openai/codex" in before
    assert "not installed" in before
    assert "2.0.0" in before
    assert before.count('<button type="submit">Install</button>') == 2
    assert before.count('<button type="submit">Upgrade</button>') == 1
    assert 'action="/admin/cli-tools/codex/install"' in before
    assert 'name="csrf_token"' in before
    assert started.status_code == 303
    assert RUN.match(run)
    assert "npm install -g @openai/codex@latest" in running_page
    assert "/static/cli_run.js" in running_page
    assert output["lines"][:5] == [f"line {i} of @openai/codex@latest" for i in range(1, 6)]
    assert (output["returncode"], output["version"], output["error"]) == (0, "0.42.0", None)
    assert "Done: codex 0.42.0 is installed." in done_page
    assert "line 5 of @openai/codex@latest" in done_page
    assert "/static/cli_run.js" not in done_page
    assert "0.42.0" in after
    assert npm.calls[1] == ["install", "-g", "@openai/codex@latest"]
    [event] = app.list_audit_events()(AuditQuery(action="cli_tool.installed"))
    assert event.actor == World.ADMIN
    assert event.detail["version"] == "0.42.0"


def test_a_failed_install_shows_npms_exit_code(
    client: TestClient, world: World, npm: FakeNpm
) -> None:
    npm.configure(exit=1, lines=1)
    sign_in(client, World.ADMIN)

    run = start(client, "gemini").headers["location"]
    output = follow(client, run)

    assert (output["returncode"], output["version"]) == (1, None)
    assert "npm failed with exit code 1" in client.get(run).text


def test_a_second_install_while_one_runs_leads_to_the_running_one(
    client: TestClient, world: World, npm: FakeNpm
) -> None:
    npm.configure(lines=10, sleep=0.2)
    sign_in(client, World.ADMIN)

    first = start(client, "claude").headers["location"]
    card_while_running = card(client.get("/admin/settings").text)
    second = start(client, "claude")
    flashes = FLASH.findall(client.get(first).text)
    follow(client, first)

    assert f'<a href="{first}">Installing…</a>' in card_while_running
    assert second.headers["location"] == first
    assert flashes == [("error", "claude is already being installed: here is that run.")]
    assert [c for c in npm.calls if c[0] == "install"] == [
        ["install", "-g", "@anthropic-ai/claude-code@latest"]
    ]


@pytest.mark.parametrize("tool", ["shell", "left-pad", "codex@1.0.0"])
def test_anything_but_the_three_tools_is_refused(
    client: TestClient, world: World, npm: FakeNpm, tool: str
) -> None:
    sign_in(client, World.ADMIN)

    response = start(client, tool)
    flashes = FLASH.findall(client.get("/admin/settings").text)

    assert response.headers["location"] == "/admin/settings"
    assert flashes[0][0] == "error"
    assert "tool:" in flashes[0][1]
    assert [c for c in npm.calls if c[0] == "install"] == []


def test_an_owner_may_not_install_nor_see_runs(
    client: TestClient, world: World, npm: FakeNpm
) -> None:
    sign_in(client, World.OWNER)

    assert start(client, "codex").status_code == 403
    assert client.get("/admin/cli-tools/runs/1").status_code == 403
    assert client.get("/admin/cli-tools/runs/1/output").status_code == 403
    assert npm.calls == []


def test_an_unknown_run_is_not_found(client: TestClient, world: World) -> None:
    sign_in(client, World.ADMIN)

    assert client.get("/admin/cli-tools/runs/999").status_code == 404
    assert client.get("/admin/cli-tools/runs/999/output").status_code == 404


def test_without_npm_the_card_says_so(app: Container, world: World, tmp_path: Path) -> None:
    from aiops.adapters.npm_installer import NpmCliInstaller
    from aiops.entrypoints.http.app import create_app

    app.gateways.cli_installer.override(
        NpmCliInstaller(str(tmp_path / "no-npm"), launcher=app.gateways.launcher())
    )
    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, World.ADMIN)
        shown = card(client.get("/admin/settings").text)

    assert shown.count("not installed") == 3
    assert "npm not found" in shown
