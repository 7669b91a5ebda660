"""Attacks on workspaces, replayed through the CLI and the API as root (as aiops ran before
issue 12) with throwaway Linux accounts mapped to aiops users: every git operation runs as the
workspace's account, in a private folder of its own, never through a link.

(a) An attacker replaces their workspace with a symbolic link to another tenant's workspace,
    or to a folder of root's: every operation is refused; nothing there changes hands.
(b) A global admin points the attacker's project at the victim's (0700) workspace: git as the
    attacker cannot read it, so nothing of it is copied.
(c) A fresh workspace is 0700 and the account's, all of it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from starlette.testclient import TestClient

from aiops.config import Settings
from aiops.container import Container
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.auth import CreateTokenCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.entrypoints.http.app import create_app
from aiops.ports.linux_users import LinuxAccount
from tests.accounts import needs_root, throwaway_account
from tests.integration.git.conftest import Git, git_clone, make_remote, trusting
from tests.integration.test_cli import Cli

pytestmark = needs_root
VICTIM, ATTACKER = "vic@example.com", "att@example.com"
OPERATIONS = (
    ("status",),
    ("branches",),
    ("fetch",),
    ("pull",),
    ("push",),
    ("checkout", "main"),
    ("create-branch", "grab"),
    ("merge", "main"),
)


@pytest.fixture
def place() -> Iterator[Path]:
    """The workspace root's parent and the shared remote: every account may pass through."""
    folder = Path(tempfile.mkdtemp(prefix="aiops-attack-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def victim() -> Iterator[LinuxAccount]:
    with throwaway_account("aiops-v") as account:
        yield account


@pytest.fixture
def attacker() -> Iterator[LinuxAccount]:
    with throwaway_account("aiops-a") as account:
        yield account


@pytest.fixture
def remote(place: Path, victim: LinuxAccount, attacker: LinuxAccount) -> Path:
    """Both projects' remote (root's, which both accounts' own git config trusts)."""
    bare = make_remote(place / "remotes")
    trusting(victim, bare)
    trusting(attacker, bare)
    return bare


@pytest.fixture
def roots_folder(place: Path, remote: Path) -> Path:
    """A folder of root's with a .git (a clone of the same remote) and a root-only file."""
    clone = git_clone(remote, place / "roots")
    (clone.path / "secret.txt").write_text("root's alone\n")
    (clone.path / "secret.txt").chmod(0o600)
    return clone.path


def as_account(account: LinuxAccount, *argv: str) -> None:
    subprocess.run(argv, check=True, user=account.uid, group=account.gid, extra_groups=[], cwd="/")


def plant_link(account: LinuxAccount, workspace: Path, target: Path) -> None:
    """What the attacker does in their own folder: their workspace becomes a link."""
    as_account(account, "rm", "-rf", "--", str(workspace))
    as_account(account, "ln", "-s", "--", str(target), str(workspace))


def fingerprint(path: Path) -> dict[str, tuple[int, int, int]]:
    """Owner, group and mode of everything under `path` (links not followed)."""
    found = {}
    for folder, dirs, files in os.walk(path):
        for name in (".", *dirs, *files):
            entry = Path(folder) / name
            info = entry.lstat()
            found[str(entry.relative_to(path))] = (info.st_uid, info.st_gid, info.st_mode)
    return found


def evidence(path: Path) -> tuple[dict[str, tuple[int, int, int]], bytes]:
    git = path / ".git" / "config"
    return fingerprint(path), git.read_bytes()


# (a) and (b) through the CLI --------------------------------------------------------------


@pytest.fixture
def cli(
    tmp_path: Path,
    place: Path,
    sqlite_template: Path,
    remote: Path,
    victim: LinuxAccount,
    attacker: LinuxAccount,
) -> Cli:
    """acme/web (the victim's tenant) and globex/api (the attacker's), both on `remote`."""
    # At info, the launcher acting in this (root) process logs each request to stderr, as its
    # daemon would to its log: warnings only, so a refusal is the one line a user sees.
    cli = Cli(tmp_path, AIOPS_WORKSPACE_ROOT=str(place / "home"), AIOPS_LOG_LEVEL="warning")
    cli.start_upgraded(sqlite_template)
    people = (("acme", "web", VICTIM, victim), ("globex", "api", ATTACKER, attacker))
    for tenant, slug, email, account in people:
        cli.ok("tenant", "create", "--slug", tenant, "--name", tenant.title())
        cli.ok("project", "create", "--tenant", tenant, "--slug", slug, "--name", slug,
               "--repo-url", str(remote))  # fmt: skip
        cli.ok("user", "create", "--email", email, "--name", email.split("@")[0],
               "--linux-username", account.name)  # fmt: skip
        cli.ok("member", "add", "--tenant", tenant, "--email", email, "--role", "member")
    return cli


def project_ids(cli: Cli) -> dict[str, str]:
    return {str(p["slug"]): str(p["id"]) for p in cli.json("project", "list")}


@pytest.mark.parametrize("target", ["victims-workspace", "roots-folder"])
def test_a_workspace_replaced_by_a_link_is_refused_by_every_cli_command(
    cli: Cli,
    place: Path,
    victim: LinuxAccount,
    attacker: LinuxAccount,
    roots_folder: Path,
    target: str,
) -> None:
    ids = project_ids(cli)
    cli.ok("init-workspace", "--user-email", VICTIM, "--project-id", ids["web"])
    cli.ok("init-workspace", "--user-email", ATTACKER, "--project-id", ids["api"])
    victims = place / "home" / victim.name / "workspace" / "web"
    aimed = victims if target == "victims-workspace" else roots_folder
    before = evidence(aimed)
    secret = (roots_folder / "secret.txt").read_bytes()
    mine = place / "home" / attacker.name / "workspace" / "api"
    plant_link(attacker, mine, aimed)

    commands = [("init-workspace",), *(("git", *op) for op in OPERATIONS)]
    for command in commands:
        result = cli.run(*command, "--user-email", ATTACKER, "--project-id", ids["api"])
        assert result.returncode == 1, (command, result.stdout)
        assert result.stderr.count("\n") == 1, (command, result.stderr)
        assert "is a symbolic link" in result.stderr, (command, result.stderr)

    assert evidence(aimed) == before
    assert (roots_folder / "secret.txt").read_bytes() == secret
    assert stat.S_IMODE((roots_folder / "secret.txt").stat().st_mode) == 0o600
    assert mine.is_symlink()


def test_a_project_pointed_at_the_victims_workspace_copies_nothing_of_it(
    cli: Cli, place: Path, victim: LinuxAccount, attacker: LinuxAccount
) -> None:
    ids = project_ids(cli)
    cli.ok("init-workspace", "--user-email", VICTIM, "--project-id", ids["web"])
    victims = place / "home" / victim.name / "workspace" / "web"
    Git(victims, victim).commit({"private.txt": "the victim's work\n"}, "Private work")
    before = evidence(victims)
    cli.ok("project", "update", ids["api"], "--repo-url", str(victims))  # a global admin

    result = cli.run("init-workspace", "--user-email", ATTACKER, "--project-id", ids["api"])

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "does not exist" in result.stderr  # as the attacker, git cannot even see it
    mine = place / "home" / attacker.name / "workspace" / "api"
    assert not mine.exists()
    assert evidence(victims) == before


# (a) and (c) through the API --------------------------------------------------------------


@pytest.fixture
def settings(settings: Settings, place: Path) -> Settings:
    return attrs.evolve(settings, workspace_root=place / "home")


@pytest.fixture
def world(
    app: Container, remote: Path, victim: LinuxAccount, attacker: LinuxAccount
) -> dict[str, int]:
    """The same two tenants in the app's database; the attacker's API token."""
    ids = {}
    people = (("acme", "web", VICTIM, victim), ("globex", "api", ATTACKER, attacker))
    for tenant, slug, email, account in people:
        app.create_tenant()(CreateTenantCommand(slug=tenant, name=tenant.title()))
        project = app.create_project()(
            CreateProjectCommand(tenant=tenant, slug=slug, name=slug, repo_url=str(remote))
        )
        app.create_user()(
            CreateUserCommand(email=email, name=email.split("@")[0], linux_username=account.name)
        )
        app.add_member()(AddMemberCommand(tenant=tenant, email=email, role="member"))
        assert project.id is not None
        ids[slug] = project.id
    return ids


def bearer(app: Container, email: str) -> dict[str, str]:
    token = app.create_token()(CreateTokenCommand(email=email, name="attack")).secret
    return {"Authorization": f"Bearer {token}"}


def test_a_workspace_replaced_by_a_link_is_refused_by_every_api_route(
    app: Container,
    world: dict[str, int],
    place: Path,
    victim: LinuxAccount,
    attacker: LinuxAccount,
) -> None:
    app.init_workspace()(WorkspaceRef(project_id=world["web"], user_email=VICTIM))
    victims = place / "home" / victim.name / "workspace" / "web"
    before = evidence(victims)
    app.init_workspace()(WorkspaceRef(project_id=world["api"], user_email=ATTACKER))
    plant_link(attacker, place / "home" / attacker.name / "workspace" / "api", victims)
    api = f"/api/v1/projects/{world['api']}/workspace"
    headers = bearer(app, ATTACKER)

    with TestClient(create_app(app), follow_redirects=False) as client:
        answers = [client.get(api, headers=headers), client.post(api, headers=headers)]
        for operation, *branch in OPERATIONS[2:]:
            body = {"branch": branch[0]} if branch else None
            answers.append(client.post(f"{api}/{operation}", json=body, headers=headers))

    for answer in answers:
        assert answer.status_code == 409, (answer.request.url, answer.text)
        assert answer.json()["error"]["code"] == "unsafe_workspace"
        assert "is a symbolic link" in answer.json()["error"]["message"]
    assert evidence(victims) == before


def test_a_fresh_workspace_is_private_and_all_the_accounts(
    app: Container, world: dict[str, int], place: Path, victim: LinuxAccount
) -> None:
    with TestClient(create_app(app), follow_redirects=False) as client:
        made = client.post(
            f"/api/v1/projects/{world['web']}/workspace", headers=bearer(app, VICTIM)
        )

    assert made.status_code == 201, made.text
    home = place / "home" / victim.name
    workspace = home / "workspace"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(workspace.stat().st_mode) == 0o700
    owners = {uid for uid, _, _ in fingerprint(home).values()}
    assert owners == {victim.uid}
    assert made.json()["path"] == str(workspace / "web")
