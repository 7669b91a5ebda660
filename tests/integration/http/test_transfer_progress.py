"""A clone's progress over HTTP while it runs, and its cancel: the API's workspace JSON
(`progress`, and `status` null during a first clone), POST .../workspace/cancel, and the
small JSON the dashboard card polls. The remote is the generated large repository over
`git daemon` (a clone takes seconds: long enough to watch)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.projects import UpdateProjectCommand
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import World, bearer, csrf, sign_in
from tests.large_repo import large

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("large-repository")]
API = "/api/v1/projects/{id}/workspace"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with large.git_daemon(Path(large.large_repo())) as served:
        yield served


@pytest.fixture
def big(app: Container, world: World, url: str) -> str:
    """acme/web now has the large repository as its remote; its API path."""
    app.update_project()(UpdateProjectCommand(project_id=world.web_id, repo_url=url))
    return API.format(id=world.web_id)


class Background:
    """A request sent from another thread (its own client of the same app), as a second
    browser tab or API caller would: the clone blocks it while this thread watches."""

    def __init__(self, app: Container, send: Any) -> None:
        self.response: httpx.Response | None = None
        self._client = TestClient(create_app(app), follow_redirects=False)
        self._thread = threading.Thread(target=self._run, args=(send,))
        self._thread.start()

    def _run(self, send: Any) -> None:
        with self._client as client:
            self.response = send(client)

    def join(self) -> httpx.Response:
        self._thread.join(timeout=300)
        assert self.response is not None
        return self.response


def _until(poll: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = poll()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not seen in time")


def test_the_workspace_json_shows_a_running_clone_and_cancel_stops_it(
    client: TestClient, app: Container, world: World, big: str
) -> None:
    headers = bearer(world, World.MEMBER)
    assert client.get(big, headers=headers).json()["error"]["code"] == "workspace_missing"
    assert client.post(big + "/cancel", headers=headers).status_code == 409
    init = Background(app, lambda c: c.post(big, headers=headers))

    def receiving() -> dict[str, Any] | None:
        answer = client.get(big, headers=headers)
        if answer.status_code == 404 and init.response is None:
            return None  # the clone has not started yet
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        progress = body["progress"]
        return body if progress and progress["phase"] == "receiving" else None

    body = _until(receiving)
    later = _until(
        lambda: (b := receiving()) and b["progress"]["percent"] > body["progress"]["percent"] and b
    )
    viewer = client.post(big + "/cancel", headers=bearer(world, World.VIEWER))
    stranger = client.post(big + "/cancel", headers=bearer(world, World.NOBODY))
    cancelled = client.post(big + "/cancel", headers=headers)
    refused = init.join()

    assert body["status"] is None
    assert body["created"] is False
    assert body["path"].endswith("/max/workspace/web")
    progress = later["progress"]
    assert progress["operation"] == "clone"
    assert 0 < progress["objects_done"] <= progress["objects_total"]
    assert set(progress) == {
        "operation", "phase", "percent", "objects_done", "objects_total", "bytes_received",
    }  # fmt: skip
    assert (viewer.status_code, stranger.status_code) == (403, 404)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["progress"]["operation"] == "clone"
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "transfer_cancelled"
    assert not Path(body["path"]).exists()
    after = client.get(big, headers=headers)
    assert after.json()["error"]["code"] == "workspace_missing"
    assert client.post(big + "/cancel", headers=headers).json()["error"]["code"] == "no_transfer"


def test_the_card_shows_a_running_clone_and_its_cancel_form_works_without_js(
    client: TestClient, app: Container, world: World, big: str
) -> None:
    """A second tab (no JS needed): the dashboard shows the clone's percentage and a Cancel
    form; the JSON the card polls says the same; the form stops the clone."""
    sign_in(client, World.MEMBER)
    card = f"/projects/{world.web_id}/workspace"
    assert client.get(card + "/progress").json() == {"progress": None}

    def initialize(other: TestClient) -> httpx.Response:
        sign_in(other, World.MEMBER)
        return other.post(card, data={"csrf_token": csrf(other, "/profile")})

    init = Background(app, initialize)

    def receiving() -> dict[str, Any] | None:
        polled = client.get(card + "/progress")
        assert polled.status_code == 200, polled.text
        assert polled.headers["cache-control"] == "no-store"
        running: dict[str, Any] | None = polled.json()["progress"]
        return running if running and running["phase"] == "receiving" else None

    running = _until(receiving)
    page = client.get("/").text
    cancelled = client.post(card + "/cancel", data={"csrf_token": csrf(client, "/profile")})
    refused = init.join()
    after = client.get("/").text

    assert running["operation"] == "clone"
    assert 0 <= running["percent"] <= 100
    block = re.search(r'<div class="ws-progress" data-progress-url="([^"]+)"([^>]*)>', page)
    assert block is not None
    assert block.group(1) == card + "/progress"
    assert "hidden" not in block.group(2)  # shown without JS
    assert "clone: receiving" in page
    assert f'action="{card}/cancel"' in page
    assert cancelled.status_code == 303
    assert refused.status_code == 303  # back to the card, with the refusal
    assert "Cancelling the clone" in after or "cancelled the clone" in after
    assert client.get(card + "/progress").json() == {"progress": None}
    assert not (app.settings().workspace_root / "max" / "workspace" / "web").exists()
