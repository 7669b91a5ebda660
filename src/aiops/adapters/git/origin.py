"""The workspace's origin, and git with the project's credentials when git may reach it.

Every transfer goes to the URL the project names, never to another one a user wrote into
.git/config to borrow the project's credentials (origin_url). A partial clone
(`--filter=blob:none`) fetches a blob from origin the first time a checkout, merge or
`git worktree add` reads it; lazy_blobs gives those commands the credentials they need.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiops.adapters.git.command import Git
from aiops.adapters.git.credentials import Credentials
from aiops.adapters.git.remote import refuse_option
from aiops.domain.model.workspaces import RemoteAccess, RemoteFailed

ORIGIN = "origin"


def origin_url(git: Git, access: RemoteAccess) -> str:
    """Where to fetch from and push to: the workspace's origin, when it is the project's URL
    (RemoteFailed otherwise, saying how to set it back)."""
    found = git.run(["config", "--local", "--get", f"remote.{ORIGIN}.url"])
    url = found.stdout.decode().strip() if found.returncode == 0 else None
    if url is None:
        raise RemoteFailed("this workspace has no origin remote")
    if access.url is not None and url != access.url:
        raise RemoteFailed(
            f"this workspace's origin is {url}, not the project's remote {access.url}: "
            "set it back with `git remote set-url origin` or initialize a new workspace"
        )
    refuse_option(url)
    return url


@contextlib.contextmanager
def lazy_blobs(
    git: Git, credentials: Credentials | None, access: RemoteAccess | None
) -> Iterator[Git]:
    """`git`, or, in a partial clone, `git` with the project's credentials in its environment
    (only when origin is still the project's URL, as for every transfer)."""
    promisor = git.run(["config", "--local", "--bool", "--get", f"remote.{ORIGIN}.promisor"])
    if credentials is None or access is None or promisor.stdout.strip() != b"true":
        yield git
        return
    url = origin_url(git, access)
    with credentials.env(git.tree.account, url, access) as env:
        yield Git(git.launcher, git.tree, env)
