"""HTTP fixtures: the real app on each database backend, a populated world with one user per
role, and helpers to sign in through the real form (CSRF token included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from dependency_injector import providers
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.usecases.auth import CreateTokenCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetPasswordCommand
from aiops.entrypoints.http.app import create_app
from tests.fakes import FakeLinuxUsers, FakeTmuxSessions, OwnAccountAgentContexts
from tests.fakes.agent_status import FakeAgentHooks

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@attrs.frozen
class World:
    """acme (owner olga, member max, viewer vera; project web) and globex (owner gus;
    project api); ada is a global admin; nora belongs nowhere."""

    acme_id: int
    globex_id: int
    web_id: int
    api_id: int
    tokens: dict[str, str]  # email -> a personal access token

    ADMIN = "ada@example.com"
    OWNER = "olga@example.com"
    MEMBER = "max@example.com"
    VIEWER = "vera@example.com"
    OTHER_OWNER = "gus@example.com"
    NOBODY = "nora@example.com"


@pytest.fixture
def world(app: Container) -> World:
    return populate_world(app)


def populate_world(app: Container) -> World:
    acme = app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme", color="#ff8800"))
    globex = app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex", color="#0055aa"))
    web = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    api = app.create_project()(CreateProjectCommand(tenant="globex", slug="api", name="API"))
    people = {
        World.ADMIN: None,
        World.OWNER: ("acme", "owner"),
        World.MEMBER: ("acme", "member"),
        World.VIEWER: ("acme", "viewer"),
        World.OTHER_OWNER: ("globex", "owner"),
        World.NOBODY: None,
    }
    tokens = {}
    for email, membership in people.items():
        app.create_user()(
            CreateUserCommand(
                email=email, name=email.split("@")[0].title(), is_admin=email == World.ADMIN
            )
        )
        app.set_password()(SetPasswordCommand(email=email, password=PASSWORD))
        if membership:
            tenant, role = membership
            app.add_member()(AddMemberCommand(tenant=tenant, email=email, role=role))
        tokens[email] = app.create_token()(CreateTokenCommand(email=email, name="tests")).secret
    assert None not in (acme.id, globex.id, web.id, api.id)
    return World(acme_id=acme.id, globex_id=globex.id, web_id=web.id, api_id=api.id, tokens=tokens)


@pytest.fixture
def client(app: Container) -> Iterator[TestClient]:
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield client


@attrs.define
class Sessions:
    client: TestClient
    tmux: FakeTmuxSessions
    world: World
    app: Container


@pytest.fixture
def sessions(app: Container, world: World, tmp_path: Path) -> Iterator[Sessions]:
    """The app with tmux and the Linux accounts (max, ada) in memory, acme/web with a remote
    and workspaces, and a client."""
    from tests.integration.http.test_authorization_matrix import (
        with_workspaces,
    )

    tmux = FakeTmuxSessions()
    app.gateways.tmux_sessions.override(providers.Object(tmux))
    app.gateways.linux_users.override(providers.Object(FakeLinuxUsers("max", "ada")))
    app.gateways.agent_hooks.override(providers.Object(FakeAgentHooks()))
    app.gateways.agent_context_files.override(
        providers.Object(OwnAccountAgentContexts(app.gateways.agent_context_files()))
    )
    app.workspace_policy.override(
        providers.Object(attrs.evolve(app.workspace_policy(), linux_user_strategy="direct"))
    )
    with_workspaces(app, world, tmp_path)
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield Sessions(client, tmux, world, app)


def csrf(client: TestClient, path: str = "/login") -> str:
    """The session's CSRF token, read from a page's form."""
    match = CSRF_INPUT.search(client.get(path).text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(client)}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def post_form(client: TestClient, path: str, data: dict[str, str]) -> Any:
    """POST a form the way a browser does: with the session's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf(client, "/profile")})


def bearer(world: World, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[email]}"}
