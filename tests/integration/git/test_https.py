"""https tokens: sent as HTTP basic credentials, never written to .git/config or messages.

Plain http on 127.0.0.1 with dulwich's own smart-HTTP server behind a basic-auth check:
the adapter treats http and https alike, and TLS itself is urllib3's business.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops.adapters.git import DulwichGitWorkspaces
from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed

from .conftest import HTTP_TOKEN as TOKEN
from .conftest import Git


def test_clone_and_push_with_a_token_that_never_reaches_the_disk(
    workspaces: DulwichGitWorkspaces, http_remote: str, remote: Path, tmp_path: Path
) -> None:
    access = RemoteAccess(https_token=TOKEN)
    target = tmp_path / "alice"

    workspaces.clone(http_remote, target, branch="main", access=access)
    alice = Git(target)
    alice("config", "user.name", "Alice")
    alice("config", "user.email", "alice@example.com")
    ours = alice.commit({"alice.txt": "alice\n"}, "Alice")
    workspaces.push(target, access)
    workspaces.fetch(target, access)

    assert Git(remote).sha("main") == ours
    assert workspaces.origin(target) == http_remote
    stored = b"".join(p.read_bytes() for p in (target / ".git").rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored
    assert TOKEN not in repr(access)
    Git(remote).fsck()


def test_a_wrong_token_is_an_authentication_failure(
    workspaces: DulwichGitWorkspaces, http_remote: str, tmp_path: Path
) -> None:
    with pytest.raises(RemoteFailed, match="authentication failed") as raised:
        workspaces.clone(
            http_remote, tmp_path / "alice", branch="main", access=RemoteAccess(https_token="nope")
        )

    assert "nope" not in raised.value.message
    assert not (tmp_path / "alice").exists()
