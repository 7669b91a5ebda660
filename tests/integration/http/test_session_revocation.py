"""Sign-out, a password change and "sign out everywhere" (the admin page and the CLI) void
every cookie of the user, copies included, over real HTTP; other users stay signed in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from aiops.config import Settings
from aiops.container import Container
from aiops.entrypoints.http.app import create_app
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import PASSWORD, World, csrf, post_form, sign_in
from tests.integration.test_cli import Cli


@pytest.fixture
def browsers(app: Container, world: World) -> Iterator[dict[str, TestClient]]:
    """Three browsers: the owner's, a copy of its cookie elsewhere, and the member's."""
    asgi = create_app(app)
    with (
        TestClient(asgi, follow_redirects=False) as owner,
        TestClient(asgi, follow_redirects=False) as thief,
        TestClient(asgi, follow_redirects=False) as member,
    ):
        sign_in(owner, World.OWNER)
        sign_in(member, World.MEMBER)
        thief.cookies.set("aiops_session", owner.cookies["aiops_session"])
        assert thief.get("/").status_code == 200
        yield {"owner": owner, "copy": thief, "member": member}


def signed_out(client: TestClient) -> bool:
    page = client.get("/profile")
    return page.status_code == 303 and page.headers["location"].startswith("/login")


def test_a_copied_cookie_stops_working_when_its_user_signs_out(
    browsers: dict[str, TestClient],
) -> None:
    out = browsers["owner"].post("/logout", data={"csrf_token": csrf(browsers["owner"], "/")})

    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert signed_out(browsers["owner"])
    assert signed_out(browsers["copy"])
    assert not signed_out(browsers["member"])


def test_a_copied_cookie_stops_working_after_a_password_change_the_changer_stays(
    browsers: dict[str, TestClient],
) -> None:
    new = "a different long password"

    changed = post_form(
        browsers["owner"],
        "/profile/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )

    assert changed.status_code == 303
    assert not signed_out(browsers["owner"])
    assert signed_out(browsers["copy"])
    assert not signed_out(browsers["member"])


def test_an_admin_signs_a_user_out_everywhere_from_the_users_page(
    app: Container, browsers: dict[str, TestClient]
) -> None:
    owner = next(u for u in app.list_users()() if u.email == World.OWNER)
    with TestClient(create_app(app), follow_redirects=False) as admin:
        sign_in(admin, World.ADMIN)
        assert f'action="/admin/users/{owner.id}/sign-out"' in admin.get("/admin/users").text

        done = post_form(admin, f"/admin/users/{owner.id}/sign-out", {})

        assert (done.status_code, done.headers["location"]) == (303, "/admin/users")
        assert f"{World.OWNER} is signed out everywhere" in admin.get("/admin/users").text
    assert signed_out(browsers["owner"])
    assert signed_out(browsers["copy"])
    assert not signed_out(browsers["member"])
    audit = app.list_audit_events()(AuditQuery(action="user.signed_out_everywhere"))
    assert [(e.actor, e.target) for e in audit] == [(World.ADMIN, f"user:{World.OWNER}")]


def test_an_admin_resetting_a_password_signs_the_user_out_everywhere(
    app: Container, browsers: dict[str, TestClient]
) -> None:
    owner = next(u for u in app.list_users()() if u.email == World.OWNER)
    with TestClient(create_app(app), follow_redirects=False) as admin:
        sign_in(admin, World.ADMIN)
        assert post_form(admin, f"/admin/users/{owner.id}/password", {}).status_code == 200

    assert signed_out(browsers["owner"])
    assert signed_out(browsers["copy"])
    assert not signed_out(browsers["member"])


def test_an_admin_resetting_their_own_password_stays_signed_in(
    app: Container, world: World
) -> None:
    admin = next(u for u in app.list_users()() if u.email == World.ADMIN)
    with TestClient(create_app(app), follow_redirects=False) as browser:
        sign_in(browser, World.ADMIN)

        reset = post_form(browser, f"/admin/users/{admin.id}/password", {})

        assert reset.status_code == 200
        assert not signed_out(browser)


def test_the_cli_signs_a_user_out_everywhere(
    browsers: dict[str, TestClient], settings: Settings, tmp_path: Path
) -> None:
    cli = Cli(
        tmp_path,
        AIOPS_DATABASE_URL=settings.database_url,
        AIOPS_INSTANCE_PATH=str(settings.instance_path),
    )

    output = cli.ok("user", "sign-out", "--email", World.OWNER)
    unknown = cli.run("user", "sign-out", "--email", "ghost@example.com")

    assert output == f"{World.OWNER} is signed out everywhere\n"
    assert (unknown.returncode, unknown.stderr.count("\n")) == (1, 1)
    assert "does not exist" in unknown.stderr
    assert signed_out(browsers["owner"])
    assert signed_out(browsers["copy"])
    assert not signed_out(browsers["member"])


def test_the_cli_setting_a_password_signs_the_user_out_everywhere(
    browsers: dict[str, TestClient], settings: Settings, tmp_path: Path
) -> None:
    cli = Cli(
        tmp_path,
        AIOPS_DATABASE_URL=settings.database_url,
        AIOPS_INSTANCE_PATH=str(settings.instance_path),
    )

    cli.ok("user", "set-password", "--email", World.OWNER, "--password-stdin",
           stdin="yet another long password\n")  # fmt: skip

    assert signed_out(browsers["owner"])
    assert signed_out(browsers["copy"])
    assert not signed_out(browsers["member"])


def test_a_cookie_from_before_session_generations_is_signed_out(
    app: Container, world: World
) -> None:
    """A cookie signed with the same key but carrying no generation (made before this
    version) is anonymous, and cleared."""
    import base64
    import json

    from itsdangerous import TimestampSigner

    owner = next(u for u in app.list_users()() if u.email == World.OWNER)
    payload = base64.b64encode(json.dumps({"uid": owner.id}).encode())
    cookie = TimestampSigner(app.secret_key()).sign(payload).decode()
    with TestClient(create_app(app), follow_redirects=False) as browser:
        browser.cookies.set("aiops_session", cookie)

        assert signed_out(browser)
