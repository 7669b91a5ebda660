"""`aiops seed-identities` and `aiops identity` end to end, in subprocesses, with real keys."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import Cli


def keygen(path: Path, passphrase: str = "") -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "t@aiops", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def fingerprint_of(path: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return out.split()[1]


@pytest.fixture
def cli(tmp_path: Path, sqlite_template: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.start_upgraded(sqlite_template)
    cli.ok("seed", "--admin-email", "ops@example.com")
    return cli


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "ssh"
    folder.mkdir(mode=0o700)
    return folder


def test_seed_identities_imports_good_keys_refuses_bad_ones_and_exits_1(
    cli: Cli, source: Path, tmp_path: Path
) -> None:
    keygen(source / "id_ed25519")
    keygen(source / "deploy")
    (source / "deploy.pub").unlink()  # derived with ssh-keygen -y
    (source / "notes").write_text("not a key\n")
    (source / "notes").chmod(0o600)
    (source / "loose").write_bytes((source / "deploy").read_bytes())
    (source / "loose").chmod(0o644)
    (source / "known_hosts").write_text("host ssh-ed25519 AAAA\n")

    result = cli.run("seed-identities", "--owner-email", "ops@example.com", "--source", str(source))

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"imported: deploy: {fingerprint_of(source / 'deploy')}",
        f"imported: id_ed25519: {fingerprint_of(source / 'id_ed25519.pub')}",
        "refused: loose: permissions 0644 for 'loose' are too open: chmod 600 loose "
        "(it must not be readable by group or others)",
        "refused: notes: not an OpenSSH or PEM private key",
    ]
    keys = tmp_path / "instance" / "keys"
    assert sorted(p.name for p in keys.iterdir()) == ["deploy", "id_ed25519"]
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    assert {stat.S_IMODE(os.stat(p).st_mode) for p in keys.iterdir()} == {0o600}
    listed = cli.json("identity", "list")
    assert [(i["name"], i["private_key"], i["owner"]) for i in listed] == [
        ("deploy", True, "ops@example.com"),
        ("id_ed25519", True, "ops@example.com"),
    ]
    private = (source / "deploy").read_text().splitlines()[1]
    assert private not in cli.ok("audit", "list", "--json")


def test_seeding_again_reports_unchanged_and_exits_0(cli: Cli, source: Path) -> None:
    keygen(source / "deploy")
    args = ("seed-identities", "--owner-email", "ops@example.com", "--source", str(source))
    cli.ok(*args)
    before = cli.dump()

    again = cli.ok(*args)

    assert again.startswith("unchanged: deploy: SHA256:")
    assert cli.dump() == before


def test_another_key_under_a_taken_name_is_refused(cli: Cli, source: Path) -> None:
    keygen(source / "deploy")
    args = ("seed-identities", "--owner-email", "ops@example.com", "--source", str(source))
    cli.ok(*args)
    (source / "deploy").unlink()
    (source / "deploy.pub").unlink()
    keygen(source / "deploy")

    result = cli.run(*args)

    assert result.returncode == 1
    assert result.stdout.startswith("refused: deploy: identity 'deploy' exists with another key")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--owner-email", "ghost@example.com", "--source", "."], "user 'ghost@example.com'"),
        (["--owner-email", "ops@example.com", "--source", "missing"], "cannot be read"),
    ],
)
def test_seed_identities_without_owner_or_folder_is_one_line(
    cli: Cli, args: list[str], message: str
) -> None:
    result = cli.run("seed-identities", *args)

    assert result.returncode == 1
    assert result.stderr.startswith("aiops: error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_identity_add_from_a_file_or_text_and_a_project_uses_it(cli: Cli, source: Path) -> None:
    public = keygen(source / "k")

    added = cli.ok("identity", "add", "--name", "web", "--public-key-file", str(source / "k.pub"))
    private = cli.run("identity", "add", "--name", "oops", "--public-key-file", str(source / "k"))
    duplicate = cli.run("identity", "add", "--name", "web", "--public-key", public)
    neither = cli.run("identity", "add", "--name", "x")
    (web,) = cli.json("identity", "list")
    cli.ok("project", "update", "1", "--identity-id", str(web["id"]))
    used = cli.json("project", "list")[0]["identity_id"]
    cli.ok("project", "update", "1", "--clear-identity")
    unknown = cli.run("project", "update", "1", "--identity-id", "99")

    assert added.startswith("identity web added (id 1, SHA256:")
    assert private.returncode == duplicate.returncode == unknown.returncode == 1
    assert "this looks like a private key: paste the .pub file" in private.stderr
    assert "identity 'web' already exists" in duplicate.stderr
    assert "identity 99 does not exist" in unknown.stderr
    assert neither.returncode == 2
    assert (web["public_key"], used) == (public, web["id"])
    assert cli.json("project", "list")[0]["identity_id"] is None
    assert cli.ok("identity", "list").splitlines()[1].split()[:2] == ["1", "web"]
