"""Workspace paths: validated names, always under the root."""

from __future__ import annotations

import os.path
from pathlib import PurePosixPath

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.errors import ValidationError
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy, workspace_path

ROOT = PurePosixPath("/home")


def test_the_path_is_root_user_workspace_project() -> None:
    assert workspace_path(ROOT, "ivo", "aiops") == PurePosixPath("/home/ivo/workspace/aiops")


@pytest.mark.parametrize(
    ("username", "slug"),
    [
        ("..", "web"),
        ("ivo", ".."),
        ("ivo/../root", "web"),
        ("ivo", "web/../../etc"),
        ("/etc", "web"),
        ("ivo", "/etc"),
        ("ivo\x00", "web"),
        ("ivo", "web\x00"),
        ("\uff49vo", "web"),  # fullwidth i
        ("\u0456vo", "web"),  # Cyrillic i
        ("ivo\u2215x", "web"),  # division slash
        ("ivo", "web\u2024x"),  # one-dot leader
        ("", "web"),
        ("ivo", ""),
        ("-ivo", "web"),
        ("ivo", "-web"),
    ],
)
def test_traversal_and_look_alike_names_are_refused(username: str, slug: str) -> None:
    with pytest.raises(ValidationError):
        workspace_path(ROOT, username, slug)


def test_a_relative_root_is_refused() -> None:
    with pytest.raises(ValidationError, match="absolute"):
        workspace_path(PurePosixPath("home"), "ivo", "web")


@given(username=st.text(max_size=40), slug=st.text(max_size=70))
def test_any_accepted_name_stays_under_the_root(username: str, slug: str) -> None:
    try:
        path = workspace_path(ROOT, username, slug)
    except ValidationError:
        return
    assert os.path.normpath(str(path)) == str(path)
    assert path.parts == ("/", "home", username, "workspace", slug)


def test_the_linux_account_decides_the_folder() -> None:
    mapping = WorkspacePolicy(root=ROOT)
    direct = WorkspacePolicy(root=ROOT, linux_user_strategy="direct")
    ivo = User(email="ivo@example.com", name="Ivo", username="ivo")

    assert mapping.path_for(ivo, "web") == PurePosixPath("/home/ivo/workspace/web")
    assert mapping.path_for(attrs.evolve(ivo, linux_username="ivan"), "web") == PurePosixPath(
        "/home/ivan/workspace/web"
    )
    assert mapping.account_for(ivo) is None
    assert direct.account_for(ivo) == "ivo"
