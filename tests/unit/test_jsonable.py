"""The JSON the CLI and the API print for entities: one converter, no secrets."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from aiops.domain.model.projects import Project
from aiops.domain.model.trackers import SyncRun
from aiops.domain.model.users import User
from aiops.entrypoints.jsonable import jsonable


def test_a_user_shows_neither_its_password_hash_nor_its_session_generation() -> None:
    user = User(
        email="ada@example.com",
        name="Ada",
        username="ada",
        password_hash="$argon2id$secret",
        id=1,
        session_generation=4,
    )

    shown = jsonable(user)

    assert shown["email"] == "ada@example.com"
    assert "password_hash" not in shown
    assert "session_generation" not in shown


def test_a_project_says_whether_it_has_an_https_token_never_the_sealed_token() -> None:
    sealed = Project(tenant_id=1, slug="web", name="Web", https_token_sealed="gAAAA-sealed")
    bare = Project(tenant_id=1, slug="api", name="API")

    assert [jsonable(p)["has_https_token"] for p in (sealed, bare)] == [True, False]
    assert "https_token_sealed" not in jsonable(sealed)
    assert "gAAAA-sealed" not in str(jsonable([sealed]))


def test_times_are_iso_8601_text() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    shown = jsonable(SyncRun(connection_id=1, started_at=at, finished_at=at))

    assert shown["started_at"] == "2026-01-02T03:04:05+00:00"


def test_importing_the_converter_loads_no_web_framework_or_msgspec() -> None:
    code = "import sys, aiops.entrypoints.jsonable\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    loaded = {name.split(".")[0] for name in result.stdout.split()}
    assert not {"starlette", "msgspec", "sqlalchemy"} & loaded
