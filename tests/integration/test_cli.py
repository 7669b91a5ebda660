"""The `aiops` command end to end, in subprocesses, on a temporary instance folder."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from aiops.adapters.sqlalchemy import migrations

AIOPS = str(Path(sys.executable).with_name("aiops"))
HEAD = migrations.head_revision()
TABLES = (
    "tenants",
    "users",
    "memberships",
    "projects",
    "audit_events",
    "api_tokens",
    "ssh_identities",
    "alembic_version",
)


class Cli:
    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        self.env = (
            {
                key: value
                for key, value in os.environ.items()
                if not key.startswith("AIOPS_") and key != "CI"
            }
            | {
                "AIOPS_INSTANCE_PATH": str(home / "instance"),
                "AIOPS_ARGON2_TIME_COST": "2",
                "AIOPS_ARGON2_MEMORY_KIB": str(19 * 1024),
                "AIOPS_ARGON2_PARALLELISM": "1",
            }
            | env
        )

    def run(
        self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AIOPS, *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.home,
            env={**self.env, **(env or {})},
            timeout=60,
            check=False,
        )

    def raw(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """The command's output as the bytes a terminal would get."""
        return subprocess.run(
            [AIOPS, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            cwd=self.home,
            env=self.env,
            timeout=60,
            check=False,
        )

    def start_upgraded(self, template: Path) -> None:
        """The instance as `aiops db upgrade` leaves it (an aiops.db at the head revision),
        copied from the session's template (the `sqlite_template` fixture): one subprocess
        less for each test whose subject is not the upgrade (which the tests here cover)."""
        instance = self.home / "instance"
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(template, instance / "aiops.db")

    def ok(self, *args: str, stdin: str | None = None) -> str:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def json(self, *args: str) -> list[dict[str, object]]:
        value = json.loads(self.ok(*args, "--json"))
        assert isinstance(value, list)
        return value

    def dump(self) -> dict[str, list[tuple[object, ...]]]:
        with sqlite3.connect(self.home / "instance" / "aiops.db") as db:
            return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}  # noqa: S608


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """An instance, upgraded and seeded, with one tenant, project and user."""
    cli = Cli(tmp_path_factory.mktemp("cli"))
    cli.ok("db", "upgrade")
    cli.ok("seed", "--admin-email", "admin@example.com")
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web")
    cli.ok("user", "create", "--email", "ivo@example.com", "--name", "Ivo")
    return cli


def test_a_fresh_instance_end_to_end(tmp_path: Path) -> None:
    cli = Cli(tmp_path)

    assert cli.ok("db", "upgrade").startswith("database upgraded from empty to ")
    assert "up to date" in cli.ok("db", "current")
    first = cli.ok("seed", "--admin-email", "Admin@Example.com")
    again = cli.ok("seed", "--admin-email", "admin@example.com")
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme", "--color", "#FF8800")
    cli.ok("tenant", "update", "acme", "--name", "Acme Corp")
    cli.ok("project", "create", "--tenant", "acme", "--slug", "web", "--name", "Web",
           "--repo-url", "git@git.example.com:acme/web.git", "--default-branch", "trunk")  # fmt: skip
    cli.ok(
        "user", "create", "--email", "ivo@example.com", "--name", "Ivo", "--linux-username", "ivo"
    )
    cli.ok("user", "set-password", "--email", "ivo@example.com", "--password-stdin",
           stdin="correct horse battery staple\n")  # fmt: skip
    cli.ok("member", "add", "--tenant", "acme", "--email", "ivo@example.com", "--role", "member")

    assert "sign in with: admin@example.com / " in first
    assert "nothing to change" in again
    tenants = cli.json("tenant", "list")
    assert [(t["slug"], t["name"], t["color"]) for t in tenants] == [
        ("default", "Default", "#3b82f6"),
        ("acme", "Acme Corp", "#ff8800"),
    ]
    assert all(isinstance(t["id"], int) for t in tenants)
    projects = cli.json("project", "list", "--tenant", "acme")
    assert [(p["slug"], p["default_branch"], p["tenant_id"]) for p in projects] == [
        ("web", "trunk", tenants[1]["id"])
    ]
    users = cli.json("user", "list")
    assert [(u["email"], u["is_admin"]) for u in users] == [
        ("admin@example.com", True),
        ("ivo@example.com", False),
    ]
    assert all("password_hash" not in u for u in users)
    assert [m["role"] for m in cli.json("member", "list", "--tenant", "acme")] == ["member"]
    actions = [e["action"] for e in cli.json("audit", "list")]
    assert actions[:4] == [
        "membership.added",
        "user.password_set",
        "user.created",
        "project.created",
    ]
    assert {e["actor"] for e in cli.json("audit", "list")} == {f"cli:{_whoami()}"}
    assert "correct horse" not in (tmp_path / "instance" / "aiops.db").read_bytes().decode(
        "latin-1"
    )
    assert "ACTION" in cli.ok("audit", "list", "--action", "tenant.updated")


def _whoami() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


BAD_INPUT = {
    "invalid slug": (["tenant", "create", "--slug", "Bad Slug", "--name", "X"], "not a valid slug"),
    "invalid colour": (["tenant", "create", "--slug", "x", "--name", "X", "--color", "red"], "#RRGGBB"),
    "invalid email": (["user", "create", "--email", "ivo.example.com", "--name", "X"], "not a valid email"),
    "duplicate tenant slug": (["tenant", "create", "--slug", "acme", "--name", "X"], "already exists"),
    "duplicate user email": (["user", "create", "--email", "IVO@example.com", "--name", "X", "--username", "x"], "already exists"),
    "project in unknown tenant": (["project", "create", "--tenant", "ghost", "--slug", "p", "--name", "P"], "tenant 'ghost' does not exist"),
    "unknown project": (["project", "update", "999", "--name", "X"], "project 999 does not exist"),
    "unknown session's history": (["session", "events", "999"], "session 999 does not exist"),
    "unknown notification event": (["notifications", "add", "--user-email", "ivo@example.com", "--url", "json://127.0.0.1:9/x", "--events", "sometimes"], "sometimes"),
    "seed without an admin email": (["seed"], "AIOPS_ADMIN_EMAIL"),
    "unknown clone filter": (["project", "update", "1", "--clone-filter", "tree:0"], "not a clone filter"),
    "negative clone depth": (["project", "update", "1", "--clone-depth", "-1"], "whole number"),
    "unknown role": (["member", "add", "--tenant", "acme", "--email", "ivo@example.com", "--role", "root"], "not a role"),
    "short password": (["user", "set-password", "--email", "ivo@example.com", "--password-stdin"], "at least 12"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_prints_one_line_exits_1_and_changes_nothing(cli: Cli, case: str) -> None:
    args, message = BAD_INPUT[case]
    before = cli.dump()

    result = cli.run(*args, stdin="short\n")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("aiops: error: ")
    assert message in result.stderr
    assert cli.dump() == before


def test_project_update_sets_how_new_workspaces_are_cloned(cli: Cli) -> None:
    (web,) = [p for p in cli.json("project", "list") if p["slug"] == "web"]
    assert (web["clone_filter"], web["clone_depth"]) == ("none", 0)

    said = cli.ok("project", "update", str(web["id"]), "--clone-filter", "blob:none",
                  "--clone-depth", "10")  # fmt: skip

    (after,) = [p for p in cli.json("project", "list") if p["slug"] == "web"]
    assert (after["clone_filter"], after["clone_depth"]) == ("blob:none", 10)
    assert f"project {web['id']} updated" in said
    assert "blob:none" in cli.ok("project", "list")
    cli.ok("project", "update", str(web["id"]), "--clone-filter", "none", "--clone-depth", "0")


def test_a_database_that_does_not_connect_is_one_line(cli: Cli) -> None:
    result = cli.run(
        "tenant",
        "list",
        env={"AIOPS_DATABASE_URL": "postgresql+psycopg://aiops:hunter2@127.0.0.1:1/aiops"},
    )

    assert result.returncode == 1
    assert result.stderr.startswith(
        "aiops: error: cannot connect to database postgresql+psycopg://aiops:***@127.0.0.1:1/aiops"
    )
    assert result.stderr.count("\n") == 1
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("command", [["tenant", "list"], ["seed"], ["serve"]])
def test_a_database_behind_its_migrations_stops_every_command(
    tmp_path: Path, command: list[str]
) -> None:
    result = Cli(tmp_path, AIOPS_ADMIN_EMAIL="admin@example.com").run(*command)

    assert result.returncode == 1
    assert result.stderr == (
        f"aiops: error: database has no aiops schema yet, this code needs {HEAD}: "
        "run `aiops db upgrade`\n"
    )


def test_invalid_settings_name_the_variable(cli: Cli) -> None:
    result = cli.run("tenant", "list", env={"AIOPS_LOG_FORMAT": "xml"})

    assert result.returncode == 1
    assert "AIOPS_LOG_FORMAT" in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_instance_path_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "instance").write_text("not a folder")

    result = Cli(tmp_path).run("db", "upgrade")

    assert result.returncode == 1
    assert result.stderr.startswith("aiops: error: AIOPS_INSTANCE_PATH=")
    assert "cannot create the instance folder" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["tenant", "create", "--slug"],
        ["tenant", "frobnicate"],
        ["user", "set-password", "--email", "a@b.io"],
    ],
)
def test_usage_errors_exit_2(cli: Cli, args: list[str]) -> None:
    result = cli.run(*args)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_downgrade_then_commands_refuse_until_upgrade(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    cli.ok("db", "upgrade")

    assert f"downgraded from {HEAD} to base" in cli.ok("db", "downgrade", "base")
    assert cli.run("tenant", "list").returncode == 1
    assert "behind" in cli.ok("db", "current")
    cli.ok("db", "upgrade")
    assert cli.run("tenant", "list").returncode == 0


@pytest.mark.postgres
def test_the_cli_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(postgres_database)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    cli = Cli(tmp_path, AIOPS_DATABASE_URL=postgres_database)

    cli.ok("db", "upgrade")
    cli.ok("seed", "--admin-email", "admin@example.com")
    cli.ok("tenant", "create", "--slug", "pg", "--name", "On Postgres")

    assert [t["slug"] for t in cli.json("tenant", "list")] == ["default", "pg"]
    assert not (tmp_path / "instance" / "aiops.db").exists()


def test_help_and_version_import_no_heavy_adapter() -> None:
    code = (
        "import sys, aiops.entrypoints.cli\n"
        "heavy = {'sqlalchemy', 'alembic', 'structlog', 'dependency_injector', 'pydantic',"
        " 'yaml', 'argon2', 'psycopg', 'starlette', 'uvicorn'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    assert subprocess.run(
        [AIOPS, "version"], capture_output=True, text=True, check=True
    ).stdout.startswith("aiops ")


def test_a_busy_database_is_one_line_and_nothing_is_written(cli: Cli) -> None:
    before = cli.dump()
    holder = sqlite3.connect(cli.home / "instance" / "aiops.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        result = cli.run(
            "tenant", "create", "--slug", "busy", "--name", "Busy",
            env={"AIOPS_SQLITE_BUSY_TIMEOUT_MS": "50"},
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert result.returncode == 1
    assert result.stderr == "aiops: error: the database is busy, try again\n"
    assert cli.dump() == before
