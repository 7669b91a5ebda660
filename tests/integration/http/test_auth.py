"""Sign-in, sign-out, sessions, CSRF, throttling, headers and limits, over real HTTP."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import PASSWORD, World, csrf, sign_in


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_sign_in_shows_the_dashboard_and_sign_out_ends_the_session(
    client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)

    page = client.get("/")
    assert page.status_code == 200
    assert "Web" in page.text
    assert "API" not in page.text  # globex is not olga's

    out = client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert client.get("/").status_code == 303


def test_the_session_cookie_is_signed_httponly_and_lax(client: TestClient, world: World) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": World.OWNER, "password": PASSWORD, "csrf_token": csrf(client)},
    )

    cookie = response.headers["set-cookie"]
    assert "aiops_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here
    assert f"Max-Age={12 * 3600}" in cookie


def test_the_session_cookie_is_secure_over_https(app: Container, world: World) -> None:
    with TestClient(
        create_app(app), base_url="https://testserver", follow_redirects=False
    ) as client:
        response = client.get("/login")

    assert "secure" in response.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("email", "password"), [(World.OWNER, "wrong password"), ("ghost@example.com", PASSWORD)]
)
def test_wrong_password_or_unknown_user_is_401_with_the_form(
    client: TestClient, world: World, email: str, password: str
) -> None:
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(client)}
    )

    assert response.status_code == 401
    assert "wrong email or password" in response.text
    assert "aiops_session" not in client.cookies or client.get("/").status_code == 303


def test_a_forged_post_without_the_token_is_refused(client: TestClient, world: World) -> None:
    sign_in(client, World.OWNER)

    forged = client.post("/profile/tokens", data={"name": "evil"})
    wrong = client.post("/profile/tokens", data={"name": "evil", "csrf_token": "guess"})

    assert forged.status_code == 403
    assert wrong.status_code == 403
    assert "evil" not in client.get("/profile").text


def test_sign_in_itself_needs_the_token(client: TestClient, world: World) -> None:
    response = client.post("/login", data={"email": World.OWNER, "password": PASSWORD})

    assert response.status_code == 403


def test_five_failures_in_a_minute_answer_429(client: TestClient, world: World) -> None:
    token = csrf(client)
    for _ in range(5):
        response = client.post(
            "/login", data={"email": World.OWNER, "password": "nope", "csrf_token": token}
        )
        assert response.status_code == 401

    locked = client.post(
        "/login", data={"email": World.OWNER, "password": PASSWORD, "csrf_token": token}
    )

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert client.get("/").status_code == 303


def test_a_session_for_a_deleted_or_tampered_cookie_is_anonymous(
    client: TestClient, world: World
) -> None:
    sign_in(client, World.OWNER)
    signed = client.cookies["aiops_session"]
    client.cookies.clear()
    client.cookies.set(
        "aiops_session", signed[:-4] + ("AAAA" if not signed.endswith("AAAA") else "BBBB")
    )

    assert client.get("/").status_code == 303


def test_next_only_goes_to_local_paths(client: TestClient, world: World) -> None:
    response = client.post(
        "/login",
        data={
            "email": World.OWNER,
            "password": PASSWORD,
            "next": "//evil.example.com/x",
            "csrf_token": csrf(client),
        },
    )

    assert response.headers["location"] == "/"


def test_security_headers_on_pages_json_and_errors(client: TestClient) -> None:
    for path in ("/login", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_an_oversized_body_is_refused_with_413(client: TestClient) -> None:
    response = client.post(
        "/login",
        content=b"x" * (1024 * 1024 + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413


def test_an_oversized_api_body_gets_a_json_error(client: TestClient) -> None:
    response = client.post(
        "/api/v1/tenants",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_unknown_pages_are_404_pages(client: TestClient) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "<html" in response.text


def test_profile_changes_password_and_makes_tokens_shown_once(
    client: TestClient, world: World
) -> None:
    sign_in(client, World.MEMBER)
    token = csrf(client, "/profile")

    created = client.post("/profile/tokens", data={"name": "laptop", "csrf_token": token})
    bad = client.post(
        "/profile/password",
        data={
            "current_password": "nope",
            "new_password": "n" * 14,
            "confirm_password": "n" * 14,
            "csrf_token": token,
        },
    )
    good = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "n" * 14,
            "confirm_password": "n" * 14,
            "csrf_token": token,
        },
    )

    assert created.status_code == 200
    assert "aiops_" in created.text
    assert "laptop" in client.get("/profile").text
    assert client.get("/profile").text.count("aiops_") == created.text.count("aiops_") - 1
    assert bad.status_code == 400
    assert "not your current password" in bad.text
    assert good.status_code == 303
    client.post("/logout", data={"csrf_token": csrf(client, "/")})
    sign_in(client, World.MEMBER, "n" * 14)


def test_an_expired_session_is_anonymous(app: Container, world: World, client: TestClient) -> None:
    import json
    import time
    from base64 import b64encode

    from itsdangerous import TimestampSigner

    class Signer13HoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 13 * 3600

    member = next(u for u in app.list_users()() if u.email == World.MEMBER)
    payload = b64encode(
        json.dumps({"uid": member.id, "gen": member.session_generation, "csrf": "x"}).encode()
    )
    fresh = TimestampSigner(str(app.secret_key())).sign(payload).decode()
    stale = Signer13HoursAgo(str(app.secret_key())).sign(payload).decode()

    client.cookies.set("aiops_session", fresh)
    assert client.get("/").status_code == 200
    client.cookies.clear()
    client.cookies.set("aiops_session", stale)
    assert client.get("/").status_code == 303
