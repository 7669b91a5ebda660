"""Everything but reading: checkout, branches, merges and the transfers (clone, fetch, pull,
push), with git as the workspace's account. Imported on first use (see workspaces.py).

Branch names are validated before anything touches the disk; the workspace is checked
(command.in_workspace) before git runs; transfers go only to the project's URL, with its
credentials handed over for that one transfer (credentials.Credentials).
"""

from __future__ import annotations

import contextlib
import time

import attrs

from aiops.adapters.git import folders
from aiops.adapters.git.command import Git, in_workspace
from aiops.adapters.git.credentials import Credentials
from aiops.adapters.git.merging import head, integrate
from aiops.adapters.git.origin import ORIGIN, lazy_blobs, origin_url
from aiops.adapters.git.remote import redacted, refuse_option, remote_failed
from aiops.adapters.git.transfer import Transferred, discard_clone, transfer
from aiops.adapters.git.worktree import in_the_way
from aiops.adapters.launching import AccountLauncher, Completed
from aiops.domain.errors import DomainError
from aiops.domain.model import validation
from aiops.domain.model.workspaces import (
    FULL_CLONE,
    BranchExists,
    BranchMissing,
    CloneShape,
    DirtyWorkTree,
    MergeOutcome,
    PushOutcome,
    PushRejected,
    RemoteAccess,
    RemoteFailed,
    TransferCancelled,
    WorkspaceExists,
)
from aiops.ports.git_workspaces import CancelCheck, ProgressSink, WorkTree

HEADS, REMOTES = "refs/heads/", "refs/remotes/origin/"
# Transfers: never a credential helper (the token would be stored), never a submodule's URL.
TRANSFER_OPTIONS = ("-c", "credential.helper=", "-c", "submodule.recurse=false")
FETCH_REFSPEC = f"+{HEADS}*:{REMOTES}*"  # branches only (tags follow), never refs/pull/*
NOT_UPSTREAM = b"not found in upstream"
TRANSFER = 900.0  # seconds: a first clone of a big repository takes a while


@attrs.frozen(kw_only=True)
class GitCliOperations:
    launcher: AccountLauncher
    credentials: Credentials

    def checkout(self, tree: WorkTree, branch: str, access: RemoteAccess | None = None) -> None:
        validation.branch(branch)
        with self._lazy(tree, access) as git:
            found = _refs(git, HEADS + branch, REMOTES + branch)
            if HEADS + branch in found:
                args = ["checkout", "-q", branch, "--"]
            elif REMOTES + branch in found:
                args = ["checkout", "-q", "--track", "-b", branch, REMOTES + branch, "--"]
            else:
                raise BranchMissing(
                    f"no branch {branch!r} here or on origin (as of the last fetch)"
                )
            _switch(git, args, f"checkout of {branch}")

    def create_branch(
        self, tree: WorkTree, branch: str, base: str | None, access: RemoteAccess | None = None
    ) -> None:
        validation.branch(branch)
        if base is not None:
            validation.branch(base, field="base")
        with self._lazy(tree, access) as git:
            if HEADS + branch in _refs(git, HEADS + branch):
                raise BranchExists(f"branch {branch!r} already exists")
            if base is None:
                if head(git) is None:
                    raise BranchMissing("HEAD has no commits yet to branch from")
                args = ["checkout", "-q", "--no-track", "-b", branch]
            else:
                ref, _ = _resolve(git, base)
                track = "--track" if ref.startswith(REMOTES) else "--no-track"
                args = ["checkout", "-q", track, "-b", branch, ref, "--"]
            _switch(git, args, f"checkout of {branch}")

    def merge(
        self, tree: WorkTree, branch: str, access: RemoteAccess | None = None
    ) -> MergeOutcome:
        validation.branch(branch)
        with self._lazy(tree, access) as git:
            _, theirs = _resolve(git, branch)
            return integrate(
                git,
                theirs,
                source=branch,
                message=f"Merge branch '{branch}'",
                operation=f"merging {branch}",
            )

    def clone(
        self,
        url: str,
        tree: WorkTree,
        *,
        branch: str,
        access: RemoteAccess,
        shape: CloneShape = FULL_CLONE,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> None:
        validation.branch(branch)
        refuse_option(url)
        folders.prepare(self.launcher, tree)
        if folders.check(self.launcher, tree):
            raise WorkspaceExists(f"{tree.path} already exists")
        git, workspace = self._git(tree), tree.path.parent
        args = [
            *TRANSFER_OPTIONS,
            "clone",
            "--progress",
            "--origin",
            ORIGIN,
            "--no-recurse-submodules",
            *shape_options(shape),
        ]
        target = ["--", url, str(tree.path)]
        runs: list[Transferred | None] = []  # None: a git under way
        try:
            with self.credentials.env(tree.account, url, access) as env:

                def run(argv: list[str]) -> Transferred:
                    runs.append(None)
                    result = transfer(
                        git, argv, env=env, cwd=workspace, timeout=TRANSFER,
                        progress=progress, cancel=cancel,
                    )  # fmt: skip
                    runs[-1] = result
                    return result

                done = run([*args, "--branch", branch, *target])
                if done.returncode != 0 and not done.stopped and NOT_UPSTREAM in done.output:
                    # No such branch there: the remote's default (or an empty remote's unborn one).
                    done = run([*args, *target])
            _transferred(url, done, f"the clone of {redacted(url)}: nothing was left behind")
        except BaseException:
            # git removes what it made when it fails; not when it is stopped (a cancel, the
            # timeout, Ctrl-C): then its half folder is removed here, as the account.
            if runs and (runs[-1] is None or runs[-1].stopped):
                discard_clone(self.launcher, tree)
            raise
        _settle_index(git)

    def fetch(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> None:
        self._fetch(self._open(tree), access, progress, cancel)

    def pull(
        self,
        tree: WorkTree,
        access: RemoteAccess,
        *,
        progress: ProgressSink | None = None,
        cancel: CancelCheck | None = None,
    ) -> MergeOutcome:
        git = self._open(tree)
        branch = _attached_branch(git, "pull")
        upstream = _upstream(git, branch)
        if upstream is None:
            raise BranchMissing(f"{branch} tracks no branch of origin: push it first")
        self._fetch(git, access, progress, cancel)
        source = f"{ORIGIN}/{upstream}"
        theirs = _refs(git, REMOTES + upstream).get(REMOTES + upstream)
        if theirs is None:
            raise BranchMissing(f"no branch {upstream!r} on origin (as of the last fetch)")
        with self._lazy(tree, access) as git:
            return integrate(
                git,
                theirs,
                source=source,
                message=f"Merge remote-tracking branch '{source}'",
                operation="pull",
            )

    def push(self, tree: WorkTree, access: RemoteAccess) -> PushOutcome:
        git = self._open(tree)
        branch = _attached_branch(git, "push")
        sha = head(git)
        if sha is None:
            raise DomainError(f"{branch} has no commits yet: commit something first")
        url = origin_url(git, access)
        ref = HEADS + branch
        with self.credentials.env(tree.account, url, access) as env:
            args = [*TRANSFER_OPTIONS, "push", "--porcelain", "--", url, f"{ref}:{ref}"]
            done = git.run(args, env=env, timeout=TRANSFER)
        flag, summary = _push_result(done.stdout, ref)
        if flag == "!":
            if "non-fast-forward" in summary or "fetch first" in summary:
                raise PushRejected(
                    f"origin has commits on {branch} that this workspace does not: "
                    "fetch and pull first"
                )
            raise PushRejected(f"origin refused {branch}: {summary}")
        if flag is None:
            _transferred(url, done)
            raise RemoteFailed(f"{redacted(url)}: git push did not report {ref}")
        git.out(["update-ref", REMOTES + branch, sha])
        if _upstream(git, branch) is None:
            git.out(["config", f"branch.{branch}.remote", ORIGIN])
            git.out(["config", f"branch.{branch}.merge", ref])
        return PushOutcome(branch=branch, remote_ref=ref, head=sha, up_to_date=flag == "=")

    # Helpers -------------------------------------------------------------------------------

    def _fetch(
        self,
        git: Git,
        access: RemoteAccess,
        progress: ProgressSink | None,
        cancel: CancelCheck | None,
    ) -> None:
        url = origin_url(git, access)
        with self.credentials.env(git.tree.account, url, access) as env:
            args = [*TRANSFER_OPTIONS, "fetch", "--progress", "--no-recurse-submodules"]
            done = transfer(
                git,
                [*args, "--", url, FETCH_REFSPEC],
                env=env,
                timeout=TRANSFER,
                progress=progress,
                cancel=cancel,
            )
        _transferred(url, done, f"the fetch from {redacted(url)}: the workspace is as it was")

    def _open(self, tree: WorkTree) -> Git:
        return in_workspace(self.launcher, tree)

    def _lazy(
        self, tree: WorkTree, access: RemoteAccess | None
    ) -> contextlib.AbstractContextManager[Git]:
        return lazy_blobs(self._open(tree), self.credentials, access)

    def _git(self, tree: WorkTree) -> Git:
        return Git(self.launcher, tree)


def shape_options(shape: CloneShape) -> list[str]:
    """`git clone` options for the project's clone settings. A shallow clone still takes
    every branch (`--no-single-branch`), as a full one does."""
    options = [] if not shape.partial else [f"--filter={shape.filter.value}"]
    if shape.depth:
        options += ["--depth", str(shape.depth), "--no-single-branch"]
    return options


def _transferred(url: str, done: Completed | Transferred, cancelled: str = "") -> None:
    """RemoteFailed (TransferCancelled when stopped on request) unless it succeeded."""
    if isinstance(done, Transferred):
        if done.cancelled:
            raise TransferCancelled(f"cancelled {cancelled}")
        if done.returncode != 0 and not done.timed_out:
            raise remote_failed(url, done.output)
    if done.timed_out:
        raise RemoteFailed(f"{redacted(url)}: no answer within {TRANSFER:.0f} s")
    if isinstance(done, Completed) and done.returncode != 0:
        raise remote_failed(url, done.stderr)


def _settle_index(git: Git) -> None:
    """A fresh checkout writes its files and its index within one second, so git must take
    every entry for possibly changed ("racily clean") and rehash the whole tree on each status
    (which never writes the index back) until the index is written in a later second. Wait
    for that second, then refresh the index as the account, once."""
    time.sleep(1 - time.time() % 1 + 0.01)
    git.run(["update-index", "-q", "--refresh"])


def _refs(git: Git, *names: str) -> dict[str, str]:
    """Those of `names` (full ref names) that exist, with their commit ids."""
    listed = git.text(["for-each-ref", "--format=%(refname) %(objectname)", *names])
    pairs = (line.rsplit(" ", 1) for line in listed.splitlines())
    return {name: sha for name, sha in pairs if name in names}


def _resolve(git: Git, name: str) -> tuple[str, str]:
    """A local branch, or `origin/<branch>` for a remote-tracking one (BranchMissing if none)."""
    candidates = [HEADS + name]
    if name.startswith(f"{ORIGIN}/"):
        candidates.insert(0, REMOTES + name.removeprefix(f"{ORIGIN}/"))
    found = _refs(git, *candidates)
    for ref in candidates:
        if ref in found:
            return ref, found[ref]
    raise BranchMissing(f"no branch {name!r} here (nor on origin after the last fetch)")


def _current_branch(git: Git) -> str | None:
    found = git.run(["symbolic-ref", "-q", "--short", "HEAD"])
    if found.returncode != 0:
        return None
    return found.stdout.decode().strip() or None


def _attached_branch(git: Git, operation: str) -> str:
    branch = _current_branch(git)
    if branch is None:
        raise DomainError(f"cannot {operation}: HEAD is detached; check out a branch first")
    return branch


def _upstream(git: Git, branch: str) -> str | None:
    """The origin branch that `branch` follows, None if it tracks none."""
    remote = git.run(["config", "--get", f"branch.{branch}.remote"]).stdout.decode().strip()
    merge = git.run(["config", "--get", f"branch.{branch}.merge"]).stdout.decode().strip()
    if remote != ORIGIN or not merge.startswith(HEADS):
        return None
    return merge.removeprefix(HEADS)


def _switch(git: Git, args: list[str], operation: str) -> None:
    """Check out, or refuse (naming the files) when uncommitted work is in the way."""
    done = git.run(args)
    if done.returncode == 0:
        return
    files = in_the_way(done.stderr)
    if files is not None:
        raise DirtyWorkTree(operation, files)
    raise git.failure("checkout", done)


def _push_result(stdout: bytes, ref: str) -> tuple[str | None, str]:
    """The flag (' ', '*', '=', '!', ...) and summary of `ref` in `git push --porcelain`."""
    for line in stdout.decode("utf-8", "replace").splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1] == f"{ref}:{ref}":
            return fields[0], fields[2]
    return None, ""
