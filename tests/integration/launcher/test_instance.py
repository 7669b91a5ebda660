"""Root hands the instance folder to the service account: what it hands over, what it refuses.
Real files, real ownership (as root; CI runs as root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiops.adapters.launcher.instance import take_over
from aiops.adapters.launcher.protocol import Refused
from tests.accounts import needs_root

pytestmark = needs_root
SERVICE, OTHER = 4242, 5353  # ids need no account to own files


def owners(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.lstat().st_uid for p in sorted(root.rglob("*"))}


def planted(instance: Path, mode: int) -> None:
    """A root-owned instance with root's files, a user's file and a symlink out of it."""
    instance.mkdir(mode=mode)
    os.chmod(instance, mode)
    (instance / "db").mkdir()
    (instance / "db" / "aiops.sqlite").write_text("")
    (instance / "users").write_text("")
    os.chown(instance / "users", OTHER, OTHER)
    (instance / "out").symlink_to("/etc/passwd")


def test_a_missing_folder_is_made_private_and_the_services(tmp_path: Path) -> None:
    instance = tmp_path / "new" / "instance"

    take_over(instance, uid=SERVICE, gid=SERVICE, name="svc")

    info = instance.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (SERVICE, SERVICE, 0o700)


def test_a_private_folder_is_handed_over_whole_and_symlinks_are_not_followed(
    tmp_path: Path,
) -> None:
    instance = tmp_path / "instance"
    planted(instance, 0o700)
    (instance / "mine").write_text("")
    os.chown(instance / "mine", SERVICE, SERVICE)

    take_over(instance, uid=SERVICE, gid=SERVICE, name="svc")

    assert set(owners(instance).values()) == {SERVICE}
    assert Path("/etc/passwd").stat().st_uid == 0
    assert instance.stat().st_mode & 0o777 == 0o700


def test_an_open_folder_hands_over_roots_entries_only(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    planted(instance, 0o755)

    take_over(instance, uid=SERVICE, gid=SERVICE, name="svc")

    assert owners(instance) == {
        "db": SERVICE, "db/aiops.sqlite": SERVICE, "out": SERVICE, "users": OTHER,
    }  # fmt: skip
    assert Path("/etc/passwd").stat().st_uid == 0
    assert instance.stat().st_mode & 0o777 == 0o700


def test_a_folder_the_service_owns_is_left_as_it_is(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    planted(instance, 0o750)
    os.chown(instance, SERVICE, SERVICE)
    before = owners(instance)

    take_over(instance, uid=SERVICE, gid=SERVICE, name="svc")

    assert owners(instance) == before
    assert instance.stat().st_mode & 0o777 == 0o750


def test_someone_elses_folder_is_refused_untouched(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    planted(instance, 0o700)
    os.chown(instance, OTHER, OTHER)
    before = owners(instance)

    with pytest.raises(Refused, match=f"belongs to uid {OTHER}, not to svc"):
        take_over(instance, uid=SERVICE, gid=SERVICE, name="svc")

    assert owners(instance) == before


def test_a_symlink_in_place_of_the_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    instance = tmp_path / "instance"
    instance.symlink_to(target)

    with pytest.raises(Refused, match="belongs to uid 0"):
        take_over(instance, uid=SERVICE, gid=SERVICE, name="svc")

    assert target.stat().st_uid == 0
