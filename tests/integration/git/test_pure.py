"""The adapter's pure functions: the porcelain v2 parser, what git's refusals name, which
known_hosts lines come back, what a remote's failure means, and which folders aiops refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

import pytest

from aiops.adapters.git.folders import refusal
from aiops.adapters.git.known_hosts import learned
from aiops.adapters.git.remote import remote_failed
from aiops.adapters.git.status import parse_porcelain_v2
from aiops.adapters.git.worktree import conflicts_of, in_the_way, merge_tree_conflicts
from aiops.adapters.launching import Inspection, PathInfo
from aiops.ports.git_workspaces import WorkTree
from aiops.ports.linux_users import LinuxAccount

REPORT = b"\0".join(
    [
        b"# branch.oid 1111111111111111111111111111111111111111",
        b"# branch.head main",
        b"# branch.upstream origin/main",
        b"# branch.ab +2 -3",
        b"1 M. N... 100644 100644 100644 aaa bbb with space.txt",
        b"2 R. N... 100644 100644 100644 aaa bbb R100 new name.py",
        b"old name.py",
        b"u UU N... 100644 100644 100644 100644 a b c conflicted.md",
        b"? notes/",
        b"",
    ]
)


def test_the_parser_reads_headers_renames_and_paths_with_spaces() -> None:
    status = parse_porcelain_v2(REPORT)

    assert (status.branch, status.upstream, status.ahead, status.behind) == (
        "main",
        "origin/main",
        2,
        3,
    )
    assert (status.staged, status.unstaged, status.untracked) == (2, 0, 1)
    assert status.conflicted == ("conflicted.md",)


def test_the_parser_reads_an_unborn_detached_state() -> None:
    status = parse_porcelain_v2(b"# branch.oid (initial)\0# branch.head (detached)\0")
    assert (status.oid, status.branch, status.upstream) == (None, None, None)


CHECKOUT_REFUSAL = b"""error: Your local changes to the following files would be overwritten by checkout:
\tREADME.md
\tsrc/with space.py
Please commit your changes or stash them before you switch branches.
error: The following untracked working tree files would be overwritten by checkout:
\tdocs/new.md
Please move or remove them before you switch branches.
Aborting
"""


def test_a_refusal_names_every_file_in_the_way() -> None:
    assert in_the_way(CHECKOUT_REFUSAL) == ("README.md", "docs/new.md", "src/with space.py")
    staged = b"error: Your local changes to the following files would be overwritten by merge:\n  other.txt\nMerge with strategy ort failed.\n"
    assert in_the_way(staged) == ("other.txt",)


def test_unresolved_conflicts_are_a_refusal_too() -> None:
    checkout = b"README.md: needs merge\napp.py: needs merge\nerror: you need to resolve your current index first\n"
    merge = b"error: Merging is not possible because you have unmerged files.\nhint: Fix them up\n"

    assert in_the_way(checkout) == ("README.md", "app.py")
    assert in_the_way(merge) == ()  # the caller asks git status for the files


def test_other_failures_are_no_refusal() -> None:
    assert in_the_way(b"fatal: unable to write new index file\n") is None


def test_conflicts_come_from_merge_tree_and_from_a_merge_that_stopped() -> None:
    planned = b"4b825dc642cb6eb9a060e54bf8d69288fbee4904\0README.md\0app.py\0README.md\0"
    stopped = b"Auto-merging app.py\nCONFLICT (content): Merge conflict in app.py\n"

    assert merge_tree_conflicts(planned) == ("README.md", "app.py")
    assert conflicts_of(stopped) == ("app.py",)


HOST = "[git.example.com]:2222"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE5/AlMjRYvWYu24XMVekWVcYP8J9jEeMODxbYLAcJlT"


def hashed(host: str) -> str:
    salt = os.urandom(20)
    digest = hmac.new(salt, host.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def test_a_new_hosts_key_comes_back_plain_or_hashed() -> None:
    hashed_line = f"{hashed(HOST)} {KEY}"
    copy = f"other.example.com {KEY}\n{HOST} {KEY}\n{hashed_line}\n"

    assert learned("", copy, HOST) == [f"{HOST} {KEY}", hashed_line]


def test_a_known_hosts_key_is_never_replaced_and_nothing_else_comes_back() -> None:
    known = f"{hashed(HOST)} {KEY}\n"
    forged = f"{known}{HOST} ssh-ed25519 AAAAforged\nevil.example.com {KEY}\n"
    revoked = f"@revoked {HOST} {KEY}\n@cert-authority *.example.com {KEY}\n"

    assert learned(known, forged, HOST) == []
    assert learned("", revoked + f"evil.example.com {KEY}\n", HOST) == []


@pytest.mark.parametrize(
    ("stderr", "reason"),
    [
        (
            b"git@x: Permission denied (publickey).\r\nfatal: Could not read",
            "authentication failed",
        ),
        (b"Host key verification failed.\r\nfatal: Could not read", "host key is unknown"),
        (
            b"fatal: Authentication failed for 'https://x/'",
            "authentication failed (check the token)",
        ),
        (
            b"fatal: could not read Username for 'https://x': terminal prompts disabled",
            "check the token",
        ),
        (b"ssh: connect to host x port 2: Connection refused", "unreachable"),
        (b"fatal: repository '/srv/gone.git' does not exist", "does not exist"),
        (b"fatal: something new\nhint: try again", "something new"),
    ],
)
def test_a_remotes_failure_is_given_a_reason(stderr: bytes, reason: str) -> None:
    failed = remote_failed("https://user:s3cret@x.example.com/a.git", stderr)

    assert reason in failed.message
    assert "s3cret" not in failed.message


ALICE = LinuxAccount("alice", 1001, 1001, "/home/alice")
WS = WorkTree(Path("/home/alice/workspace/web"), ALICE)


HERS = PathInfo("dir", 1001, 0o700)


def seen(path: PathInfo | None, parent: PathInfo | None = HERS) -> Inspection:
    return Inspection(path=path, parent=parent)


@pytest.mark.parametrize(
    ("found", "why"),
    [
        (seen(None, None), None),
        (seen(None), None),
        (seen(PathInfo("dir", 1001, 0o755)), None),
        (seen(PathInfo("link", 1001, 0o777)), "is a symbolic link"),
        (seen(PathInfo("file", 1001, 0o600)), "is not a folder"),
        (seen(PathInfo("dir", 1002, 0o700)), "belongs to uid 1002, not to alice"),
        (seen(None, PathInfo("link", 1001, 0o777)), "workspace is a symbolic link"),
        (seen(PathInfo("dir", 1001, 0o700), PathInfo("dir", 0, 0o755)), "belongs to uid 0"),
    ],
)
def test_aiops_works_only_in_a_real_folder_of_the_account(
    found: Inspection, why: str | None
) -> None:
    said = refusal(WS, found)

    assert said == why if why is None else why in (said or "")
