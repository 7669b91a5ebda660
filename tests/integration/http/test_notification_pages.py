"""Notification targets on the Profile page and on a tenant's admin page, through real HTTP
on each database: masked URLs, CSRF, owners only, tests queued (never sent in a request)."""

from __future__ import annotations

from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.notifications import TargetOwner
from tests.integration.http.conftest import World, csrf, sign_in
from tests.integration.http.conftest import post_form as post
from tests.integration.notifications.conftest import JsonReceiver, json_receiver

__all__ = ["json_receiver"]  # the fixture, shared with tests/integration/notifications

URL = "json://hook-user:s3cr3t-pass@127.0.0.1:9/hook/tok-0123456789"


def test_a_user_adds_tests_and_removes_a_target_on_the_profile(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.MEMBER)
    added = client.post(
        "/profile/notifications",
        data={"url": URL, "events": ["waiting", "failed"], "label": "phone",
              "csrf_token": _csrf(client)},
    )  # fmt: skip
    page = client.get("/profile").text
    (target,) = app.list_notification_targets()(TargetOwner(user_email=World.MEMBER))

    assert added.status_code == 303
    assert "json://127.0.0.1…" in page
    for secret in ("s3cr3t-pass", "tok-0123456789", "hook-user"):
        assert secret not in page
    assert {e.value for e in target.events} == {"waiting", "failed"}

    tested = post(client, f"/profile/notifications/{target.id}/test", {})
    assert tested.status_code == 303
    assert "Test queued" in client.get("/profile").text
    removed = post(client, f"/profile/notifications/{target.id}/remove", {})
    assert removed.status_code == 303
    assert app.list_notification_targets()(TargetOwner(user_email=World.MEMBER)) == []


def test_bad_urls_are_a_400_on_the_page_and_nothing_is_stored(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.MEMBER)
    for url in ("file:///etc/passwd", "nosuchservice://x", "not a url"):
        response = post(client, "/profile/notifications", {"url": url, "events": "waiting"})
        assert response.status_code == 400
        assert 'role="alert"' in response.text
    no_events = post(client, "/profile/notifications", {"url": URL})
    assert no_events.status_code == 400
    assert app.list_notification_targets()(TargetOwner(user_email=World.MEMBER)) == []


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, world: World) -> None:
    sign_in(client, World.MEMBER)
    response = client.post("/profile/notifications", data={"url": URL, "events": "waiting"})
    assert response.status_code == 403


def test_nobody_touches_another_users_target(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.MEMBER)
    post(client, "/profile/notifications", {"url": URL, "events": "waiting"})
    (target,) = app.list_notification_targets()(TargetOwner(user_email=World.MEMBER))
    client.cookies.clear()
    sign_in(client, World.OWNER)

    assert post(client, f"/profile/notifications/{target.id}/remove", {}).status_code == 404
    assert post(client, f"/profile/notifications/{target.id}/test", {}).status_code == 404
    assert "json://127.0.0.1…" not in client.get("/profile").text


def test_tenant_owners_manage_their_tenants_targets_and_others_get_404(
    app: Container, client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)
    added = post(client, "/admin/tenants/acme/notifications",
                 {"url": URL, "events": "run-failed", "label": "team"})  # fmt: skip
    page = client.get("/admin/tenants/acme/notifications")
    wrong_event = post(client, "/admin/tenants/acme/notifications",
                       {"url": URL, "events": "waiting"})  # fmt: skip
    (target,) = app.list_notification_targets()(TargetOwner(tenant_slug="acme"))
    client.cookies.clear()
    sign_in(client, World.OTHER_OWNER)
    foreign_page = client.get("/admin/tenants/acme/notifications")
    foreign_remove = post(client, f"/admin/tenants/acme/notifications/{target.id}/remove", {})

    assert added.status_code == 303
    assert page.status_code == 200
    assert "json://127.0.0.1…" in page.text
    assert "tok-0123456789" not in page.text
    assert wrong_event.status_code == 400
    assert foreign_page.status_code == 404
    assert foreign_remove.status_code == 404
    assert len(app.list_notification_targets()(TargetOwner(tenant_slug="acme"))) == 1


def _csrf(client: TestClient) -> str:
    return csrf(client, "/profile")


def test_the_servers_delivery_thread_sends_a_pages_test(
    app: Container, client: TestClient, world: World, json_receiver: JsonReceiver
) -> None:
    sign_in(client, World.MEMBER)
    post(client, "/profile/notifications", {"url": json_receiver.url(), "events": "waiting"})
    (target,) = app.list_notification_targets()(TargetOwner(user_email=World.MEMBER))

    tested = post(client, f"/profile/notifications/{target.id}/test", {})
    json_receiver.wait_for(1, timeout=5)

    assert tested.status_code == 303
    assert json_receiver.posts[0][1]["title"] == "aiops: test notification"
