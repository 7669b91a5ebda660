"""A pattern in a repository's `info/exclude`, as the workspace's account.

The file is the user's (git reads it in the main workspace and every worktree, which share
one common git folder), so the account writes it, through the launcher, never root. Every
step is looked at without following a link: the common folder and `info/` must be real
folders of the account's, `exclude` a regular file or nothing; anything else is refused
(UnsafeWorkspace) and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from aiops.adapters.git import folders
from aiops.adapters.git.command import in_workspace
from aiops.adapters.launching import AccountLauncher, ActFailed
from aiops.domain.errors import ValidationError
from aiops.domain.model.workspaces import UnsafeWorkspace
from aiops.ports.git_workspaces import WorkTree

PATTERN_MAX = 1000


def pattern_line(value: str) -> str:
    """One gitignore line: printable, not blank, no line break."""
    if not value.strip() or len(value) > PATTERN_MAX or not value.isprintable():
        raise ValidationError(
            "pattern", f"must be one line of 1-{PATTERN_MAX} printable characters"
        )
    return value


def add_exclude(launcher: AccountLauncher, main: WorkTree, pattern: str) -> bool:
    """`pattern` appended to the repository's `info/exclude` (made when missing) unless a
    line holds it already. True when the file changed."""
    line = pattern_line(pattern)
    git = in_workspace(launcher, main)
    common = Path(git.text(["rev-parse", "--path-format=absolute", "--git-common-dir"]))
    info = WorkTree(common / "info", main.account)
    folders.check(launcher, WorkTree(common, main.account))
    if not folders.check(launcher, info):
        _make(launcher, info)
    path = info.path / "exclude"
    existing = _read(launcher, main, path)
    if existing is not None and line in (kept.rstrip("\r") for kept in existing.split("\n")):
        return False
    text = existing or ""
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        launcher.write_file(
            main.account,
            str(path),
            (text + line + "\n").encode("utf-8", "surrogateescape"),
            mode=0o644,
        )
    except ActFailed as failed:
        raise UnsafeWorkspace(
            f"cannot write {path} as {folders.who(main)}: {failed.message}"
        ) from None
    return True


def _make(launcher: AccountLauncher, info: WorkTree) -> None:
    try:
        launcher.make_dir(info.account, str(info.path), mode=0o755)
    except ActFailed as failed:
        raise UnsafeWorkspace(
            f"cannot make {info.path} as {folders.who(info)}: {failed.message}"
        ) from None


def _read(launcher: AccountLauncher, main: WorkTree, path: Path) -> str | None:
    found = launcher.inspect(main.account, str(path)).path
    if found is not None and found.kind != "file":
        raise UnsafeWorkspace(
            f"{path} is {'a symbolic link' if found.kind == 'link' else 'not a file'}: aiops "
            "never writes through one; remove it"
        )
    try:
        data = launcher.read_file(main.account, str(path), limit=1024 * 1024)
    except ActFailed as failed:
        raise UnsafeWorkspace(
            f"cannot read {path} as {folders.who(main)}: {failed.message}"
        ) from None
    return None if data is None else data.decode("utf-8", "surrogateescape")
