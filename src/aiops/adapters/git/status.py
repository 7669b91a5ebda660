"""The hot path: `git status --porcelain=v2` and `git log -1` through the git CLI, parsed into
numbers and a Commit.

The CLI is used here (not dulwich) because git's own status is several times faster on large
trees, and a one-shot process need not import dulwich at all (see ADR 0003).
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from aiops.domain.errors import DomainError
from aiops.domain.model.workspaces import Commit, WorkspaceMissing


@attrs.frozen(kw_only=True)
class PorcelainStatus:
    """One `git status --porcelain=v2 --branch -z` report."""

    oid: str | None  # None before the first commit
    branch: str | None  # None when HEAD is detached
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    staged: int = 0
    unstaged: int = 0
    untracked: int = 0
    conflicted: tuple[str, ...] = ()
    changed: frozenset[str] = frozenset()  # tracked paths with changes, both sides of renames
    untracked_paths: frozenset[str] = frozenset()


def git_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git subprocesses: no inherited GIT_* settings, no prompt, C locale."""
    source = os.environ if base is None else base
    kept = {key: value for key, value in source.items() if not key.startswith("GIT_")}
    return kept | {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


def as_owner(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """subprocess arguments that run git as the owner of the tree when aiops runs as root:
    a user's .git/config may name commands (filters, hooks), which must never run as root."""
    if os.geteuid() != 0:
        return {"env": env}
    info = path.stat()
    if info.st_uid == 0:
        return {"env": env}
    try:
        home = pwd.getpwuid(info.st_uid).pw_dir
    except KeyError:
        home = "/nonexistent"
    return {
        "env": {**env, "HOME": home},
        "user": info.st_uid,
        "group": info.st_gid,
        "extra_groups": [],
    }


def _run(git: str, env: Mapping[str, str], path: Path, args: list[str]) -> bytes:
    assert path.is_absolute(), path
    if not (path / ".git").exists():
        raise WorkspaceMissing(f"{path} is not a git work tree")
    argv = [
        git,
        "--no-optional-locks",
        "-c",
        "core.fsmonitor=false",  # never run a hook named by the repository's own config
        # Running as root, aiops reads trees it handed to their users' accounts: trust this
        # one tree (not every tree: safe.directory=*), with the fsmonitor hook switched off.
        "-c",
        f"safe.directory={path}",
        "-C",
        str(path),
        *args,
    ]
    result = subprocess.run(argv, capture_output=True, check=False, **as_owner(path, env))
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in message:
            raise WorkspaceMissing(f"{path} is not a git work tree")
        raise DomainError(f"git {args[0]} failed in {path}: {message}")
    output: bytes = result.stdout
    return output


def run_status(git: str, env: Mapping[str, str], path: Path, *, untracked: str) -> bytes:
    """The raw porcelain v2 report of the work tree at `path` (WorkspaceMissing if none)."""
    args = ["status", "--porcelain=v2", "--branch", "-z", f"--untracked-files={untracked}"]
    return _run(git, env, path, args)


_COMMIT_FORMAT = "--format=%H%x00%an%x00%ct%x00%B"


def read_commit(git: str, env: Mapping[str, str], path: Path, sha: str) -> Commit:
    """sha, first line of the message, author's name and commit time (UTC) of one commit."""
    assert all(ch in "0123456789abcdef" for ch in sha), sha  # from git's own output
    return parse_commit(_run(git, env, path, ["log", "-1", _COMMIT_FORMAT, sha, "--"]))


def parse_commit(output: bytes) -> Commit:
    sha, author, timestamp, message = output.decode("utf-8", "replace").split("\0", 3)
    return Commit(
        sha=sha,
        subject=message.strip().split("\n", 1)[0] if message.strip() else "",
        author=author,
        committed_at=datetime.fromtimestamp(int(timestamp), tz=UTC),
    )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_porcelain_v2(output: bytes) -> PorcelainStatus:
    """Count what `git status --porcelain=v2 --branch -z` lists."""
    headers: dict[str, str] = {}
    staged = unstaged = 0
    conflicted: list[str] = []
    changed: set[str] = set()
    untracked: set[str] = set()
    records = iter(output.split(b"\0"))
    for record in records:
        kind = record[:1]
        if kind == b"#":
            key, _, value = _text(record[2:]).partition(" ")
            headers[key] = value
        elif kind in (b"1", b"2"):
            fields = record.split(b" ", 8 if kind == b"1" else 9)
            xy = fields[1]
            staged += xy[:1] != b"."
            unstaged += xy[1:2] != b"."
            changed.add(_text(fields[-1]))
            if kind == b"2":
                changed.add(_text(next(records)))  # the original path follows a rename
        elif kind == b"u":
            conflicted.append(_text(record.split(b" ", 10)[-1]))
        elif kind == b"?":
            untracked.add(_text(record[2:]))
    ahead, behind = _ahead_behind(headers.get("branch.ab"))
    oid = headers.get("branch.oid")
    head = headers.get("branch.head")
    return PorcelainStatus(
        oid=None if oid in (None, "(initial)") else oid,
        branch=None if head in (None, "(detached)") else head,
        upstream=headers.get("branch.upstream"),
        ahead=ahead,
        behind=behind,
        staged=staged,
        unstaged=unstaged,
        untracked=len(untracked),
        conflicted=tuple(sorted(conflicted)),
        changed=frozenset(changed),
        untracked_paths=frozenset(untracked),
    )


def _ahead_behind(value: str | None) -> tuple[int, int]:
    if not value:
        return 0, 0
    ahead, behind = value.split(" ")
    return int(ahead.lstrip("+")), int(behind.lstrip("-"))
