"""The Sessions page and /api/v1/sessions on both databases, with tmux and the Linux accounts
in memory (tests/integration/tmux drives a real tmux)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from dependency_injector import providers
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.sessions import AgentStatus
from aiops.entrypoints.http.app import create_app
from tests.fakes import FakeLinuxUsers, FakeTmuxSessions
from tests.integration.http.conftest import World, post_form, sign_in
from tests.integration.http.test_authorization_matrix import with_workspaces


@attrs.define
class Sessions:
    client: TestClient
    tmux: FakeTmuxSessions
    world: World


@pytest.fixture
def sessions(app: Container, world: World, tmp_path: Path) -> Iterator[Sessions]:
    tmux = FakeTmuxSessions()
    app.tmux_sessions.override(providers.Object(tmux))
    app.linux_users.override(providers.Object(FakeLinuxUsers("max", "ada")))
    app.workspace_policy.override(
        providers.Object(attrs.evolve(app.workspace_policy(), linux_user_strategy="direct"))
    )
    with_workspaces(app, world, tmp_path)
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield Sessions(client, tmux, world)


def test_a_member_launches_watches_and_stops_a_session(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    sign_in(client, World.MEMBER)

    launched = post_form(client, "/sessions", {"project": str(world.web_id), "tool": "codex"})
    page = client.get(launched.headers["location"])
    listing = client.get("/sessions")
    pane = client.get(launched.headers["location"] + "/pane")
    stopped = post_form(client, launched.headers["location"] + "/stop", {})
    after = client.get("/sessions")

    [spec] = sessions.tmux.launched
    assert launched.status_code == 303
    assert (spec.account.name, spec.session, spec.window) == ("max", f"web-p{world.web_id}",
                                                              "max-codex")  # fmt: skip
    assert spec.cwd.endswith("/max/workspace/web")
    assert "codex launched in" in page.text
    assert f"tmux -S /tmp/tmux-1000/default attach -t web-p{world.web_id}:max-codex" in listing.text
    assert pane.text == f"codex running in web-p{world.web_id}:max-codex\n"
    assert pane.headers["x-session-status"] == "running"
    assert pane.headers["cache-control"] == "no-store"
    assert stopped.status_code == 303
    assert "No live sessions" in after.text
    assert sessions.tmux.servers["/tmp/tmux-1000/default"] == {}  # noqa: S108 - a name


def test_a_refusal_is_shown_and_nothing_is_launched(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    sign_in(client, World.OWNER)  # olga has no Linux account here

    refused = post_form(client, "/sessions", {"project": str(world.web_id), "tool": "codex"})
    page = client.get("/sessions")

    assert refused.headers["location"] == "/sessions"
    assert "the Linux account &#39;olga&#39; does not exist" in page.text
    assert sessions.tmux.launched == []


def test_the_api_launches_focuses_lists_and_stops(sessions: Sessions) -> None:
    client, world = sessions.client, sessions.world
    headers = {"Authorization": f"Bearer {world.tokens[World.MEMBER]}"}
    body = {"project_id": world.web_id, "tool": "shell"}

    first = client.post("/api/v1/sessions", json=body, headers=headers)
    again = client.post("/api/v1/sessions", json=body, headers=headers)
    listed = client.get("/api/v1/sessions", headers=headers)
    shown = client.get(f"/api/v1/sessions/{first.json()['id']}", headers=headers)
    stopped = client.delete(f"/api/v1/sessions/{first.json()['id']}", headers=headers)
    bad = client.post("/api/v1/sessions", json={**body, "tool": "vim"}, headers=headers)

    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (again.status_code, again.json()["created"], again.json()["id"]) == (
        200, False, first.json()["id"])  # fmt: skip
    assert [s["tmux_window"] for s in listed.json()] == ["max-shell"]
    assert shown.json()["pane"].startswith("bash running in")
    assert stopped.json()["status"] == AgentStatus.EXITED.value
    assert bad.status_code == 400
    assert "is not one of codex" in bad.json()["error"]["message"]
