"""Admin -> Trackers through real HTTP on each database, with "Test connection" against the fake
GitHub: an admin's whole round, an owner's scope, a member shut out, bad input that stores
nothing, and no page that ever shows a token or webhook secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from starlette.testclient import TestClient

from aiops.config import Settings, load_settings
from aiops.container import Container
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.trackers import TrackerConnection
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import CSRF_INPUT, World, sign_in
from tests.integration.trackers.fake_github import FakeGitHub, serve

TOKEN = "ghp_TOKEN-CANARY-4f1c9a"
OLD_TOKEN = "ghp_OLD-CANARY-77d0e2"
SECRET = "whsec-SECRET-CANARY-0b3e"
CANARIES = (TOKEN, OLD_TOKEN, SECRET, "CANARY")
FLASH = re.compile(r'class="flash flash-(\w+)" role="status">([^<]*)<')


class _Current:
    fake = FakeGitHub()


@pytest.fixture(scope="module")
def github_url() -> Iterator[str]:
    with serve(lambda: _Current.fake) as url:
        yield url


@pytest.fixture
def github(github_url: str) -> FakeGitHub:
    _Current.fake = FakeGitHub(token=TOKEN)
    _Current.fake.add_repo("acme/web")
    return _Current.fake


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        instance_path=tmp_path / "instance",
        workspace_root=tmp_path / "home",
        argon2_time_cost=2,
        argon2_memory_kib=19 * 1024,
        argon2_parallelism=1,
        tracker_allow_private_networks=True,  # the fake GitHub listens on 127.0.0.1
    )


class Browser:
    """A signed-in client that keeps every page it was sent, to search them all for secrets."""

    def __init__(self, client: TestClient, email: str) -> None:
        self.client = client
        self.pages: list[str] = []
        sign_in(client, email)

    def get(self, path: str) -> Any:
        response = self.client.get(path)
        self.pages.append(response.text)
        return response

    def post(self, path: str, data: dict[str, str]) -> Any:
        token = CSRF_INPUT.search(self.get("/profile").text)
        assert token
        response = self.client.post(path, data={**data, "csrf_token": token.group(1)})
        self.pages.append(response.text)
        return response

    def flashes(self) -> list[tuple[str, str]]:
        """The flash messages the next page shows."""
        return FLASH.findall(self.get("/admin/trackers").text)

    def assert_no_secret_shown(self) -> None:
        leaks = [(n, c) for n, page in enumerate(self.pages) for c in CANARIES if c in page]
        assert not leaks, f"secrets in pages: {leaks}"


def connections(app: Container) -> list[TrackerConnection]:
    return list(app.list_trackers()(SYSTEM))


def add_form(project_id: int, base_url: str, **changes: str) -> dict[str, str]:
    return {
        "project_id": str(project_id),
        "provider": "github",
        "base_url": base_url,
        "key": "acme/web",
        "token": OLD_TOKEN,
        "webhook_secret": SECRET,
        **changes,
    }


def globex_connection(app: Container, world: World) -> int:
    connection = app.add_tracker()(
        AddTrackerCommand(
            project_id=world.api_id,
            provider="github",
            base_url="https://api.github.com",
            key="globex/api",
            token=TOKEN,
        )
    )
    assert connection.id is not None
    return connection.id


def test_an_admin_adds_tests_replaces_and_removes_a_connection(
    app: Container, client: TestClient, world: World, github: FakeGitHub, github_url: str
) -> None:
    admin = Browser(client, World.ADMIN)

    added = admin.post("/admin/trackers", add_form(world.web_id, github_url))
    [connection] = connections(app)
    page = admin.get("/admin/trackers").text
    refused = admin.post(f"/admin/trackers/{connection.id}/test", {})
    refused_flashes = admin.flashes()
    replaced = admin.post(f"/admin/trackers/{connection.id}/secrets", {"token": TOKEN})
    works = admin.post(f"/admin/trackers/{connection.id}/test", {})
    works_flashes = admin.flashes()
    cleared = admin.post(f"/admin/trackers/{connection.id}/secrets", {"clear_webhook_secret": "on"})
    after_clearing = admin.get("/admin/trackers").text
    removed = admin.post(f"/admin/trackers/{connection.id}/remove", {})

    statuses = [r.status_code for r in (added, refused, replaced, works, cleared, removed)]
    assert statuses == [303] * 6
    assert connection.key == "acme/web"
    assert connection.base_url == github_url
    assert "•••••••• saved 20" in page
    assert "not set" not in page
    assert f"/hooks/github?connection={connection.id}" in page
    assert "never synced" in page
    assert refused_flashes == [
        ("error", f"Connection {connection.id} failed: 127.0.0.1: the token was refused")
    ]
    assert works_flashes == [("info", f"Connection {connection.id} works: acme/web: 0 open issues")]
    assert "not set" in after_clearing
    assert connections(app) == []
    audit = app.list_audit_events()(AuditQuery(action="tracker.secrets_replaced"))
    assert [dict(e.detail) for e in audit] == [{"webhook_secret": "cleared"}, {"token": "set"}]
    admin.assert_no_secret_shown()


def test_a_replaced_token_is_sealed_and_dated(
    app: Container, client: TestClient, world: World, github_url: str
) -> None:
    admin = Browser(client, World.ADMIN)
    admin.post("/admin/trackers", add_form(world.web_id, github_url, webhook_secret=""))
    [before] = connections(app)

    admin.post(f"/admin/trackers/{before.id}/secrets", {"token": TOKEN, "webhook_secret": SECRET})

    [after] = connections(app)
    box = app.secret_box()
    assert box.open(after.token_sealed) == TOKEN
    assert after.webhook_secret_sealed is not None
    assert box.open(after.webhook_secret_sealed) == SECRET
    assert TOKEN not in after.token_sealed
    assert before.webhook_secret_sealed is None
    assert before.token_saved_at is not None
    assert after.token_saved_at is not None
    assert after.token_saved_at >= before.token_saved_at
    admin.assert_no_secret_shown()


def test_an_owner_manages_their_tenants_connections_and_never_sees_another_tenants(
    app: Container, client: TestClient, world: World, github_url: str
) -> None:
    theirs = globex_connection(app, world)
    owner = Browser(client, World.OWNER)

    page = owner.get("/admin/trackers").text
    added = owner.post("/admin/trackers", add_form(world.web_id, github_url))
    into_globex = owner.post("/admin/trackers", add_form(world.api_id, github_url))
    on_theirs = [
        owner.post(f"/admin/trackers/{theirs}/{action}", {"token": TOKEN}).status_code
        for action in ("secrets", "test", "remove")
    ]
    listed = owner.get("/admin/trackers").text
    project_page = owner.get(f"/admin/projects/{world.web_id}").text

    assert "globex" not in page
    assert f'<option value="{world.web_id}"' in page
    assert f'<option value="{world.api_id}"' not in page
    assert added.status_code == 303
    assert into_globex.status_code == 404
    assert on_theirs == [404, 404, 404]
    assert "globex/api" not in listed
    assert "acme/web" in listed
    mine = next(c for c in connections(app) if c.project_id == world.web_id)
    assert f'href="/admin/trackers#tracker-{mine.id}"' in project_page
    assert sorted(c.key for c in connections(app)) == ["acme/web", "globex/api"]
    owner.assert_no_secret_shown()


@pytest.mark.parametrize("email", [World.MEMBER, World.VIEWER, World.NOBODY])
def test_members_viewers_and_strangers_are_refused_like_on_the_other_admin_pages(
    app: Container, client: TestClient, world: World, github_url: str, email: str
) -> None:
    theirs = globex_connection(app, world)
    user = Browser(client, email)

    statuses = [
        user.get("/admin/trackers").status_code,
        user.post("/admin/trackers", add_form(world.web_id, github_url)).status_code,
        user.post(f"/admin/trackers/{theirs}/test", {}).status_code,
        user.post(f"/admin/trackers/{theirs}/remove", {}).status_code,
    ]

    assert statuses == [403] * 4
    assert [c.key for c in connections(app)] == ["globex/api"]
    user.assert_no_secret_shown()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_url": "ftp://tracker.example.com"}, "is not an http(s) URL"),
        ({"base_url": "https://user:pw@tracker.example.com"}, "is not an http(s) URL"),
        ({"key": "not a repo"}, "is not a github key: use owner/repo"),
        ({"provider": "jira", "key": "acme/web"}, "is not a jira key"),
        ({"provider": "svn"}, "is not one of github|gitlab|jira"),
        ({"token": ""}, "must be 1-4096 characters"),
        ({"token": "two words"}, "visible ASCII characters only"),
        ({"project_id": "web"}, "choose a project from the list"),
    ],
)
def test_bad_connection_input_reshows_the_form_with_400_and_stores_nothing(
    app: Container,
    client: TestClient,
    world: World,
    changes: dict[str, str],
    message: str,
) -> None:
    admin = Browser(client, World.ADMIN)

    response = admin.post(
        "/admin/trackers", {**add_form(world.web_id, "https://gh.test"), **changes}
    )

    assert response.status_code == 400
    assert message in response.text
    assert 'action="/admin/trackers"' in response.text
    assert 'role="alert"' in response.text
    assert connections(app) == []
    admin.assert_no_secret_shown()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "give a new token or webhook secret (nothing was changed)"),
        ({"token": "with space"}, "visible ASCII characters only"),
        (
            {"webhook_secret": SECRET, "clear_webhook_secret": "on"},
            "either give a new webhook secret or clear it",
        ),
    ],
)
def test_a_bad_replacement_is_400_and_keeps_the_old_secrets(
    app: Container, client: TestClient, world: World, data: dict[str, str], message: str
) -> None:
    admin = Browser(client, World.ADMIN)
    admin.post("/admin/trackers", add_form(world.web_id, "https://gh.test"))
    [before] = connections(app)

    response = admin.post(f"/admin/trackers/{before.id}/secrets", data)

    assert response.status_code == 400
    assert message in response.text
    assert connections(app) == [before]
    admin.assert_no_secret_shown()


def test_a_token_sealed_under_another_key_fails_the_test_with_a_flash_not_a_crash(
    app: Container, client: TestClient, world: World, github_url: str
) -> None:
    admin = Browser(client, World.ADMIN)
    admin.post("/admin/trackers", add_form(world.web_id, github_url))
    [connection] = connections(app)
    with app.uow() as uow:
        uow.trackers.update(attrs.evolve(connection, token_sealed="sealed-under-another-key"))
        uow.commit()

    tested = admin.post(f"/admin/trackers/{connection.id}/test", {})

    assert tested.status_code == 303
    [(kind, message)] = admin.flashes()
    assert kind == "error"
    assert message.startswith(f"Connection {connection.id} failed: a stored secret cannot be read")
