"""What git says when it will not move a work tree (checkout, merge) over uncommitted work.

git itself refuses before it writes anything: files with local changes, or untracked files,
that the update would overwrite, and an index with unresolved conflicts. These functions read
the files out of its message. Pure.
"""

from __future__ import annotations

_LIST_HEADERS = (
    "would be overwritten by",  # local changes, or untracked working tree files
    "would be removed by",  # untracked files in the way of a removal
)


def in_the_way(stderr: bytes) -> tuple[str, ...] | None:
    """The files a refusal names (sorted; empty when it names none, as for unresolved
    conflicts), or None when git failed for another reason."""
    text = stderr.decode("utf-8", "surrogateescape")
    files: set[str] = set()
    refused = False
    listing = False
    for line in text.splitlines():
        if any(header in line for header in _LIST_HEADERS):
            refused = listing = True
        elif listing and line[:1] in ("\t", " "):
            files.add(line.strip())
        else:
            listing = False
            if line.endswith(": needs merge"):
                files.add(line.removesuffix(": needs merge"))
                refused = True
            elif "you have unmerged files" in line or "resolve your current index" in line:
                refused = True
    return tuple(sorted(files)) if refused else None


def conflicts_of(stdout: bytes) -> tuple[str, ...]:
    """The files a merge that went wrong after all names ("CONFLICT (...): ... in <file>")."""
    text = stdout.decode("utf-8", "surrogateescape")
    marker = "Merge conflict in "
    return tuple(sorted({line.split(marker, 1)[1] for line in text.splitlines() if marker in line}))


def merge_tree_conflicts(stdout: bytes) -> tuple[str, ...]:
    """The conflicted files of `git merge-tree --write-tree --name-only --no-messages -z`:
    the tree's id, then one name per NUL."""
    names = stdout.split(b"\0")[1:]
    return tuple(sorted({name.decode("utf-8", "surrogateescape") for name in names if name}))
