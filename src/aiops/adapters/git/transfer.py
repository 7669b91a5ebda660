"""Fetching into and pushing from a repository with a dulwich client."""

from __future__ import annotations

from collections.abc import Iterator, Set

from dulwich.client import FetchPackResult, GitClient
from dulwich.graph import can_fast_forward
from dulwich.objects import ObjectID
from dulwich.pack import UnpackedObject
from dulwich.protocol import strip_peeled_refs
from dulwich.refs import LOCAL_BRANCH_PREFIX, LOCAL_TAG_PREFIX, Ref
from dulwich.repo import Repo

from aiops.adapters.git.repo import REMOTE_PREFIX
from aiops.domain.model.workspaces import PushRejected


def fetch_origin(repo: Repo, client: GitClient, remote_path: str) -> FetchPackResult:
    """Fetch every branch and tag: branches land in refs/remotes/origin/*, tags in refs/tags/*."""
    result = client.fetch(remote_path.encode(), repo)
    refs = strip_peeled_refs(result.refs)
    branches = {
        Ref(name[len(LOCAL_BRANCH_PREFIX) :]): sha
        for name, sha in refs.items()
        if name.startswith(LOCAL_BRANCH_PREFIX)
    }
    tags = {
        Ref(name[len(LOCAL_TAG_PREFIX) :]): sha
        for name, sha in refs.items()
        if name.startswith(LOCAL_TAG_PREFIX) and Ref(name) not in repo.refs
    }
    repo.refs.import_refs(Ref(REMOTE_PREFIX.rstrip(b"/")), branches, message=b"aiops: fetch")
    repo.refs.import_refs(Ref(b"refs/tags"), tags, message=b"aiops: fetch")
    head = result.symrefs.get(Ref(b"HEAD"))
    if head is not None and head.startswith(LOCAL_BRANCH_PREFIX) and head in refs:
        repo.refs.set_symbolic_ref(
            Ref(REMOTE_PREFIX + b"HEAD"), Ref(REMOTE_PREFIX + head[len(LOCAL_BRANCH_PREFIX) :])
        )
    return result


def push_branch(repo: Repo, client: GitClient, remote_path: str, branch: str) -> bool:
    """Push refs/heads/<branch> to the same name on origin; False when it was up to date.

    A remote branch that is not an ancestor of ours is never overwritten (PushRejected).
    """
    ref = Ref(LOCAL_BRANCH_PREFIX + branch.encode())
    local = repo.refs[ref]
    changed = False

    def update_refs(remote: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        nonlocal changed
        theirs = remote.get(ref)
        if theirs == local:
            return {}
        if theirs is not None and not (
            theirs in repo.object_store and can_fast_forward(repo, theirs, local)
        ):
            raise PushRejected(
                f"origin has commits on {branch} that this workspace does not: fetch and pull first"
            )
        changed = True
        return {ref: local}

    def pack_data(
        have: Set[ObjectID],
        want: Set[ObjectID],
        *,
        ofs_delta: bool = False,
        progress: object = None,
    ) -> tuple[int, Iterator[UnpackedObject]]:
        return repo.generate_pack_data(set(have), set(want), ofs_delta=ofs_delta)

    result = client.send_pack(remote_path.encode(), update_refs, pack_data)
    failures = {name: error for name, error in (result.ref_status or {}).items() if error}
    if failures:
        raise PushRejected(f"origin refused {branch}: {failures.get(ref, 'rejected')}")
    repo.refs[Ref(REMOTE_PREFIX + branch.encode())] = local
    return changed
