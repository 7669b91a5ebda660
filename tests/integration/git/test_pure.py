"""The adapter's pure functions: the porcelain v2 parser and the "in the way" rule."""

from __future__ import annotations

from collections.abc import Iterable

from aiops.adapters.git.status import PorcelainStatus, parse_porcelain_v2
from aiops.adapters.git.worktree import blocking

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
    assert status.changed == {"with space.txt", "new name.py", "old name.py"}


def test_the_parser_reads_an_unborn_detached_state() -> None:
    status = parse_porcelain_v2(b"# branch.oid (initial)\0# branch.head (detached)\0")
    assert (status.oid, status.branch, status.upstream) == (None, None, None)


def local(changed: Iterable[str] = (), untracked: Iterable[str] = ()) -> PorcelainStatus:
    return PorcelainStatus(
        oid=None, branch="main", changed=frozenset(changed), untracked_paths=frozenset(untracked)
    )


def test_a_change_blocks_only_when_the_update_touches_it() -> None:
    assert blocking(local({"a.txt", "b.txt"}), ["b.txt", "c.txt"]) == ["b.txt"]
    assert blocking(local(untracked={"docs/x.md"}), ["docs"]) == ["docs/x.md"]  # file -> folder
    assert blocking(local({"docs"}), ["docs/x.md"]) == ["docs"]  # folder -> file
    assert blocking(local(untracked={"notes/"}), ["notes/a.md"]) == ["notes/"]
    assert blocking(local({"src/a.py"}, {"tmp/"}), ["src/b.py", "tmp2/x"]) == []
