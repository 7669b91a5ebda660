"""A copy of the shipped ansible/ folder with the tests' own playbooks and inventories, and the
real container (real ansible-runner) on a migrated database of each backend."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from aiops.config import load_settings
from aiops.container import Container, bootstrap

REPO_ANSIBLE = Path(__file__).parents[3] / "ansible"
FILES = Path(__file__).parent / "files"
TEST_PLAYBOOKS = "ping,ai-clis,host-report,fail,sleep,secret,many"


def ansible_copy(target: Path) -> Path:
    shutil.copytree(REPO_ANSIBLE, target)
    for kind in ("playbooks", "inventory"):
        for path in (FILES / kind).iterdir():
            shutil.copy(path, target / kind / path.name)
    return target


@pytest.fixture
def ansible_dir(tmp_path: Path) -> Path:
    return ansible_copy(tmp_path / "ansible")


@pytest.fixture
def make_app(
    database_url: str, migrated: Engine, tmp_path: Path, ansible_dir: Path
) -> Iterator[Callable[..., Container]]:
    made: list[Container] = []

    def make(**overrides: object) -> Container:
        settings = load_settings(
            **{
                "database_url": database_url,
                "instance_path": tmp_path / "instance",
                "workspace_root": tmp_path / "home",
                "ansible_dir": ansible_dir,
                "playbooks": TEST_PLAYBOOKS,
                **overrides,
            }
        )
        container = bootstrap(settings)
        made.append(container)
        return container

    yield make
    for container in made:
        container.shutdown_resources()


@pytest.fixture
def automation(make_app: Callable[..., Container]) -> Container:
    return make_app()
