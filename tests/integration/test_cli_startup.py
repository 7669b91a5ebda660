"""The CLI starts fast because each command imports only what it uses (docs/adr/0002): the
modules a database-backed command has loaded when it exits, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli

# What a command that only reads the database must not load: the trackers' HTTP client, git
# and tmux libraries, Ansible, the web server and framework, test-only packages (werkzeug
# comes with schemathesis), alembic (the schema check reads the revision files), the
# logging stack (configured on first use, and these commands log nothing), pydantic (the
# settings are attrs, and Typer < 0.29 does not validate with it) and PyYAML (extra vars
# only).
NOT_LOADED = {
    "httpx",
    "dulwich",
    "libtmux",
    "ansible_runner",
    "uvicorn",
    "starlette",
    "fastapi",
    "werkzeug",
    "alembic",
    "structlog",
    "rich",
    "cryptography",
    "argon2",
    "pydantic",
    "pydantic_core",
    "yaml",
}
PROBE = """
import atexit, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
from aiops.entrypoints.command import main
main()
"""


def loaded_modules(cli: Cli, tmp_path: Path, *args: str) -> set[str]:
    out = tmp_path / "modules.txt"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        cwd=cli.home,
        env=cli.env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(out.read_text().split())


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.start_upgraded(sqlite_template)
    cli.ok("tenant", "create", "--slug", "acme", "--name", "Acme")
    return cli


@pytest.mark.parametrize(
    "args",
    [
        ("tenant", "list"),
        ("project", "list", "--json"),
        ("playbooks", "list"),
        ("issues", "list", "--json"),
    ],
)
def test_a_database_command_loads_no_adapter_it_does_not_use(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    modules = loaded_modules(cli, tmp_path, *args)
    uses = {"yaml"} if args[0] == "playbooks" else set()  # it reads the <name>.vars.yml files

    assert "sqlalchemy" in modules  # the probe saw the command run
    assert sorted((NOT_LOADED - uses) & {name.split(".")[0] for name in modules}) == []


def test_a_command_loads_only_its_own_cli_module(cli: Cli, tmp_path: Path) -> None:
    modules = loaded_modules(cli, tmp_path, "tenant", "list")

    commands = {m for m in modules if m.startswith("aiops.entrypoints.cli.")}
    assert commands == {
        "aiops.entrypoints.cli._runtime",
        "aiops.entrypoints.cli._terminal",
        "aiops.entrypoints.cli.tenants",
    }
    assert not any(m.startswith("aiops.entrypoints.http") for m in modules)


def test_help_lists_every_name_and_a_named_group_has_its_parameters(cli: Cli) -> None:
    from aiops.entrypoints.cli import TREE

    listed = cli.ok("--help")
    issues = cli.ok("issues", "list", "--help")

    assert {line.split()[0] for line in listed.splitlines() if line.startswith("  ")} >= {
        *TREE,
        "version",
    }
    assert all(flag in issues for flag in ("--limit", "--page", "--all", "--incidents"))


def test_a_unit_of_work_makes_only_the_repositories_a_command_reads(
    cli: Cli, tmp_path: Path
) -> None:
    modules = loaded_modules(cli, tmp_path, "tenant", "list")

    assert {m for m in modules if m.startswith("aiops.adapters.sqlalchemy.")} == {
        "aiops.adapters.sqlalchemy.engine",
        "aiops.adapters.sqlalchemy.migrations",
        "aiops.adapters.sqlalchemy.repositories",
        "aiops.adapters.sqlalchemy.tables",
        "aiops.adapters.sqlalchemy.unit_of_work",
    }
    assert not {"aiops.domain.model.jobs", "aiops.domain.model.automation"} & modules
