"""Hypothesis on form inputs: names, slugs, colours, unicode, very long strings. Every answer
is a clear 4xx with the form shown again (or success) — never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.entrypoints.http.app import create_app
from tests.integration.http.conftest import World, csrf, sign_in

TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "<script>alert(1)</script>",
            "a" * 10_001,
            "é" * 5000,
            "#zzzzzz",
            "-x",
            "../..",
        ]
    ),
)
FUZZ = settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])

# path -> (who posts, field names, statuses that mean "handled")
FORMS: dict[str, tuple[str, tuple[str, ...], set[int]]] = {
    "/profile/tokens": (World.MEMBER, ("name",), {200, 400}),
    "/profile/password": (
        World.MEMBER,
        ("current_password", "new_password", "confirm_password"),
        {303, 400},
    ),
    "/login": ("", ("email", "password"), {400, 401, 429}),
}


@pytest.fixture
def signed_in(app: Container, world: World) -> Iterator[dict[str, TestClient]]:
    clients = {}
    for email in {who for who, _, _ in FORMS.values()}:
        client = TestClient(create_app(app), follow_redirects=False).__enter__()
        if email:
            sign_in(client, email)
        clients[email] = client
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


@pytest.mark.parametrize("path", sorted(FORMS))
@FUZZ
@given(values=st.lists(TEXT, min_size=3, max_size=3))
def test_any_form_input_gets_a_clear_answer_never_a_500(
    signed_in: dict[str, TestClient], path: str, values: list[str]
) -> None:
    who, fields, handled = FORMS[path]
    client = signed_in[who]
    token = csrf(client, "/profile" if who else "/login")

    response = client.post(
        path, data={**dict(zip(fields, values, strict=False)), "csrf_token": token}
    )

    assert response.status_code in handled, response.text[:300]
    if response.status_code == 400:
        assert "<form" in response.text
        assert 'role="alert"' in response.text


@pytest.fixture
def admin(app: Container, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(app), follow_redirects=False) as client:
        sign_in(client, World.ADMIN)
        yield client


@FUZZ
@given(
    provider=st.one_of(TEXT, st.sampled_from(["github", "gitlab", "jira"])),
    values=st.lists(TEXT, min_size=3, max_size=3),
)
def test_any_tracker_connection_input_gets_a_clear_answer_never_a_500(
    admin: TestClient, world: World, provider: str, values: list[str]
) -> None:
    fields = dict(zip(("base_url", "key", "token"), values, strict=True))
    data = {"project_id": str(world.web_id), "provider": provider, **fields}

    response = admin.post("/admin/trackers", data={**data, "csrf_token": csrf(admin, "/profile")})

    assert response.status_code in {303, 400}, response.text[:300]
    if response.status_code == 400:
        assert 'action="/admin/trackers"' in response.text
        assert 'role="alert"' in response.text
