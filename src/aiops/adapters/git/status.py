"""The hot path's parsers: `git status --porcelain=v2 --branch -z` counted into numbers, and
`git log -1` read into a Commit. Pure functions; the adapter runs git (ADR 0009).
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from aiops.domain.model.workspaces import Commit


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


STATUS = ("status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal")
COMMIT_FORMAT = "--format=%H%x00%an%x00%ct%x00%B"


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
    untracked = 0
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
            if kind == b"2":
                next(records)  # the original path follows a rename
        elif kind == b"u":
            conflicted.append(_text(record.split(b" ", 10)[-1]))
        elif kind == b"?":
            untracked += 1
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
        untracked=untracked,
        conflicted=tuple(sorted(conflicted)),
    )


def _ahead_behind(value: str | None) -> tuple[int, int]:
    if not value:
        return 0, 0
    ahead, behind = value.split(" ")
    return int(ahead.lstrip("+")), int(behind.lstrip("-"))
