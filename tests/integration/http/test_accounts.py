"""One Linux account per aiops user, and only global admins set a user's Linux account: over the
API, the admin page and the CLI, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
from dependency_injector import providers
from starlette.testclient import TestClient

from aiops.config import Settings
from aiops.container import Container
from aiops.domain.usecases.users import CreateUserCommand
from tests.integration.http.conftest import World, bearer, post_form, sign_in
from tests.integration.test_cli import Cli


def emails(app: Container) -> set[str]:
    return {u.email for u in app.list_users()()}


def map_ana_to_ops(app: Container) -> None:
    policy = attrs.evolve(app.workspace_policy(), linux_user_mapping={"ana@example.com": "ops"})
    app.workspace_policy.override(providers.Object(policy))


def test_the_api_refuses_a_second_user_on_an_account_with_409_and_stores_nothing(
    app: Container, client: TestClient, world: World
) -> None:
    map_ana_to_ops(app)
    app.create_user()(CreateUserCommand(email="ana@example.com", name="Ana"))
    before = emails(app)

    response = client.post(
        "/api/v1/users",
        json={"email": "bo@example.com", "name": "Bo", "linux_username": "ops"},
        headers=bearer(world, World.ADMIN),
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "account_taken"
    assert "'ops' is already ana@example.com's" in response.json()["error"]["message"]
    assert emails(app) == before


def test_a_tenant_owner_may_not_set_a_linux_username_over_the_api(
    app: Container, client: TestClient, world: World
) -> None:
    before = emails(app)

    response = client.post(
        "/api/v1/users",
        json={"email": "eve@example.com", "name": "Eve", "linux_username": "eve"},
        headers=bearer(world, World.OWNER),
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert emails(app) == before


def test_the_users_page_refuses_an_account_taken_already(
    app: Container, client: TestClient, world: World
) -> None:
    map_ana_to_ops(app)
    app.create_user()(CreateUserCommand(email="ana@example.com", name="Ana"))
    before = emails(app)
    sign_in(client, World.ADMIN)

    page = post_form(
        client,
        "/admin/users",
        {"email": "bo@example.com", "name": "Bo", "linux_username": "ops"},
    )

    assert page.status_code == 409
    assert "the Linux account &#39;ops&#39; is already ana@example.com&#39;s" in page.text
    assert emails(app) == before


def test_a_tenant_owner_cannot_create_users_or_set_their_account_on_the_page(
    app: Container, client: TestClient, world: World
) -> None:
    before = emails(app)
    sign_in(client, World.OWNER)

    page = post_form(
        client,
        "/admin/users",
        {"email": "eve@example.com", "name": "Eve", "linux_username": "eve"},
    )

    assert page.status_code == 403
    assert emails(app) == before


def test_the_cli_refuses_a_user_whose_mapped_account_is_taken_in_one_line(
    app: Container, world: World, settings: Settings, tmp_path: Path
) -> None:
    app.create_user()(CreateUserCommand(email="bo@example.com", name="Bo", linux_username="ops"))
    cli = Cli(
        tmp_path,
        AIOPS_DATABASE_URL=settings.database_url,
        AIOPS_INSTANCE_PATH=str(settings.instance_path),
        AIOPS_LINUX_USER_MAPPING=json.dumps({"ana@example.com": "ops"}),
    )
    before = emails(app)

    result = cli.run("user", "create", "--email", "ana@example.com", "--name", "Ana")

    assert result.returncode == 1
    assert result.stderr == (
        "aiops: error: the Linux account 'ops' is already bo@example.com's: one Linux account "
        "serves one aiops user (see AIOPS_LINUX_USER_MAPPING and the users' Linux usernames)\n"
    )
    assert emails(app) == before


def test_the_cli_stops_at_two_emails_mapped_to_one_account_naming_it(
    settings: Settings, tmp_path: Path
) -> None:
    cli = Cli(
        tmp_path,
        AIOPS_DATABASE_URL=settings.database_url,
        AIOPS_LINUX_USER_MAPPING=json.dumps({"ana@example.com": "ops", "bo@example.com": "ops"}),
    )

    result = cli.run("user", "list")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "AIOPS_LINUX_USER_MAPPING" in result.stderr
    assert "the Linux account 'ops' is mapped from ana@example.com, bo@example.com" in (
        result.stderr
    )
