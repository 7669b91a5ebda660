"""Admin -> Settings, the "Codex", "Gemini" and "Claude" cards, through real HTTP: an admin
pastes a user's credentials, the card lists when and a fingerprint; others are shut out; and
a canary credential never comes back in a page, a flash, a log record or the audit trail."""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

import pytest
import structlog
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.sessions import Tool
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import CSRF_INPUT, World, sign_in

CANARY = "CANARY-e4a90c"
CODEX = json.dumps(
    {"tokens": {"id_token": CANARY, "access_token": CANARY, "refresh_token": CANARY}}
)
GEMINI = json.dumps({"access_token": CANARY, "refresh_token": CANARY, "expiry_date": 1})
ACCOUNTS = json.dumps({"active": "max@example.com", "old": []})
CLAUDE = f"sk-ant-api03-{CANARY}-0123456789"
FLASH = re.compile(r'class="flash flash-(\w+)" role="status">([^<]*)<')


class Admin:
    """A signed-in client that keeps every page it was sent, to search them for the canary."""

    def __init__(self, client: TestClient, email: str = World.ADMIN) -> None:
        self.client = client
        self.pages: list[str] = []
        sign_in(client, email)

    def get(self, path: str) -> str:
        response = self.client.get(path)
        self.pages.append(response.text)
        return response.text

    def post(self, path: str, data: dict[str, str]) -> int:
        token = CSRF_INPUT.search(self.get("/profile"))
        assert token
        response = self.client.post(path, data={**data, "csrf_token": token.group(1)})
        self.pages.append(response.text)
        return response.status_code

    def flashes(self) -> list[tuple[str, str]]:
        found = FLASH.findall(self.get("/admin/settings"))
        return [(kind, html.unescape(message)) for kind, message in found]


def user_id(app: Container, email: str) -> str:
    return next(str(u.id) for u in app.list_users()() if u.email == email)


def test_an_admin_saves_each_tools_credentials_and_the_cards_show_only_when_and_a_fingerprint(
    app: Container,
    client: TestClient,
    world: World,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = Admin(client)
    max_id = user_id(app, World.MEMBER)
    before = admin.get("/admin/settings")

    pastes = {
        "codex": {"auth.json": CODEX},
        "gemini": {"oauth_creds.json": GEMINI, "google_accounts.json": ACCOUNTS},
        "claude": {"key": CLAUDE},
    }
    with structlog.testing.capture_logs() as events:
        statuses, flashes = [], []
        for tool, data in pastes.items():
            statuses.append(admin.post(f"/admin/credentials/{tool}", {"user_id": max_id, **data}))
            flashes += admin.flashes()
        page = admin.get("/admin/settings")

    assert statuses == [303, 303, 303]
    for tool in ("codex", "gemini", "claude"):
        assert f'data-card="{tool}"' in before
        assert f'action="/admin/credentials/{tool}"' in before
    assert f'<option value="{max_id}">max (max@example.com)</option>' in before
    assert "No Codex credentials saved yet." in before
    overview = app.list_credentials()(SYSTEM)
    fingerprints = {tool: overview.saved[tool][0].info.fingerprint for tool in overview.saved}
    assert flashes == [
        ("info", f"Codex credentials saved for max, fingerprint {fingerprints[Tool.CODEX]}."),
        ("info", f"Gemini credentials saved for max, fingerprint {fingerprints[Tool.GEMINI]}."),
        ("info", f"Claude credentials saved for max, fingerprint {fingerprints[Tool.CLAUDE]}."),
    ]
    saved_at = overview.saved[Tool.CODEX][0].info.saved_at.strftime("%Y-%m-%d %H:%M")
    assert f"max: saved {saved_at} UTC, fingerprint <code>{fingerprints[Tool.CODEX]}</code>" in page
    assert overview.saved[Tool.GEMINI][0].info.files == ("google_accounts.json", "oauth_creds.json")
    store = app.gateways.credential_store()
    assert store.secret(int(max_id), Tool.CLAUDE, "key") == CLAUDE
    nobody = LinuxAccount(name="max", uid=65534, gid=65534, home=str(tmp_path / "max"))
    launch_env = app.mirror_credentials()(int(max_id), Tool.CLAUDE, nobody)
    assert launch_env == {"CLAUDE_CODE_OAUTH_TOKEN": CLAUDE, "ANTHROPIC_API_KEY": CLAUDE}  # no file
    assert not (tmp_path / "max").exists()
    audit = app.list_audit_events()(AuditQuery(action="credentials.saved"))
    assert sorted(str(e.detail["tool"]) for e in audit) == ["claude", "codex", "gemini"]
    texts = [*admin.pages, repr(events), repr(audit)]
    texts += [record.getMessage() + str(vars(record)) for record in caplog.records]
    assert all(CANARY not in text for text in texts)


@pytest.mark.parametrize(
    ("tool", "data", "says"),
    [
        ("codex", {"auth.json": f'{{"x": "{CANARY}"}}'}, 'auth.json: needs "tokens"'),
        ("codex", {"auth.json": f'{{"tokens": "{CANARY}'}, "auth.json: is not valid JSON"),
        ("gemini", {"oauth_creds.json": f'{{"access_token": "{CANARY}"}}'}, "refresh_token"),
        ("claude", {"key": f"sk-{CANARY}"}, "key: must be an sk-ant-... key"),
        ("shell", {}, "takes no credentials"),
        ("nano", {}, "is not one of"),
    ],
)
def test_a_bad_paste_flashes_why_stores_nothing_and_is_never_shown_back(
    app: Container,
    client: TestClient,
    world: World,
    tool: str,
    data: dict[str, str],
    says: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = Admin(client)
    status = admin.post(
        f"/admin/credentials/{tool}", {"user_id": user_id(app, World.MEMBER), **data}
    )
    [(kind, message)] = admin.flashes()
    assert status == 303
    assert kind == "error"
    assert says in message
    assert all(not saved for saved in app.list_credentials()(SYSTEM).saved.values())
    texts = [*admin.pages, *(record.getMessage() for record in caplog.records)]
    assert all(CANARY not in text for text in texts)


def test_a_missing_or_unknown_user_is_refused(
    app: Container, client: TestClient, world: World
) -> None:
    admin = Admin(client)
    admin.post("/admin/credentials/codex", {"user_id": "", "auth.json": CODEX})
    empty = admin.flashes()
    admin.post("/admin/credentials/codex", {"user_id": "99999", "auth.json": CODEX})
    assert [*empty, *admin.flashes()] == [
        ("error", "Codex: user: choose a user from the list"),
        ("error", "Codex: user 99999 does not exist"),
    ]


@pytest.mark.parametrize("email", [World.OWNER, World.MEMBER])
def test_only_a_global_admin_sees_the_cards_or_saves(
    app: Container, client: TestClient, world: World, email: str
) -> None:
    someone = Admin(client, email)
    status = someone.post(
        "/admin/credentials/codex", {"user_id": user_id(app, email), "auth.json": CODEX}
    )
    assert status == 403
    assert client.get("/admin/settings").status_code == 403
    assert all(not saved for saved in app.list_credentials()(SYSTEM).saved.values())
