"""https tokens: sent as HTTP basic credentials, never written to .git/config or messages.

Plain http on 127.0.0.1 with dulwich's own smart-HTTP server behind a basic-auth check:
the adapter treats http and https alike, and TLS itself is git's (libcurl's) business.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.adapters.git import GitCliWorkspaces
from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed
from aiops.ports.git_workspaces import WorkTree

from .conftest import HTTP_TOKEN as TOKEN
from .conftest import Git


def test_clone_and_push_with_a_token_that_never_reaches_the_disk(
    workspaces: GitCliWorkspaces, http_remote: str, remote: Path, tmp_path: Path, target: Path
) -> None:
    access = RemoteAccess(https_token=TOKEN)

    workspaces.clone(http_remote, WorkTree(target), branch="main", access=access)
    alice = Git(target)
    alice("config", "user.name", "Alice")
    alice("config", "user.email", "alice@example.com")
    ours = alice.commit({"alice.txt": "alice\n"}, "Alice")
    workspaces.push(WorkTree(target), access)
    workspaces.fetch(WorkTree(target), access)

    assert Git(remote).sha("main") == ours
    assert workspaces.origin(WorkTree(target)) == http_remote
    stored = b"".join(p.read_bytes() for p in (target / ".git").rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored
    assert TOKEN not in repr(access)
    Git(remote).fsck()


def test_a_wrong_token_is_an_authentication_failure(
    workspaces: GitCliWorkspaces, http_remote: str, tmp_path: Path, target: Path
) -> None:
    with pytest.raises(RemoteFailed, match="authentication failed") as raised:
        workspaces.clone(
            http_remote, WorkTree(target), branch="main", access=RemoteAccess(https_token="nope")
        )

    assert "nope" not in raised.value.message
    assert not target.exists()
