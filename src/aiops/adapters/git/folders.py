"""The workspace's folders: made private to the account, and checked before every operation.

`<root>/<name>` is made by the launcher for the account (0700, the account's),
`<root>/<name>/workspace` by the account itself (0700), the clone by git as the account. Then,
before each operation, the account looks at the workspace (links not followed): aiops works
only in a real folder whose parent is the account's own real folder. A link planted there
could only lead git, running as the account, where the account may go anyway; refusing it
keeps aiops from ever acting through one.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from aiops.adapters.launching import AccountLauncher, ActFailed, Inspection, PathInfo
from aiops.domain.model.workspaces import UnsafeWorkspace
from aiops.ports.git_workspaces import WorkTree


def who(tree: WorkTree) -> str:
    if tree.account is not None:
        return tree.account.name
    try:
        return f"aiops's own account ({pwd.getpwuid(os.geteuid()).pw_name})"
    except KeyError:
        return f"aiops's own account (uid {os.geteuid()})"


def refusal(tree: WorkTree, found: Inspection) -> str | None:
    """Why aiops will not work at `tree.path` (None: it may; the path may be missing)."""
    uid = os.geteuid() if tree.account is None else tree.account.uid
    path, parent = tree.path, found.parent
    if parent is None:
        return None  # nothing there yet
    if why := _not_a_folder_of(parent, path.parent, uid, tree):
        return why
    if found.path is None:
        return None
    if found.path.kind == "link":
        return (
            f"{path} is a symbolic link: aiops never works through one; remove it and "
            "initialize the workspace again"
        )
    return _not_a_folder_of(found.path, path, uid, tree)


def _not_a_folder_of(info: PathInfo, path: Path, uid: int, tree: WorkTree) -> str | None:
    if info.kind != "dir":
        kind = "a symbolic link" if info.kind == "link" else "not a folder"
        return f"{path} is {kind}: aiops works only in real folders of {who(tree)}"
    if info.uid != uid:
        return f"{path} belongs to uid {info.uid}, not to {who(tree)}: aiops will not work there"
    return None


def check(launcher: AccountLauncher, tree: WorkTree) -> bool:
    """Whether something is at `tree.path`; UnsafeWorkspace when aiops may not work there."""
    try:
        found = launcher.inspect(tree.account, str(tree.path))
    except ActFailed as failed:
        raise UnsafeWorkspace(
            f"cannot look at {tree.path} as {who(tree)}: {failed.message}"
        ) from None
    why = refusal(tree, found)
    if why is not None:
        raise UnsafeWorkspace(why)
    return found.path is not None


def prepare(launcher: AccountLauncher, tree: WorkTree) -> None:
    """`<root>/<name>` and `<root>/<name>/workspace`, private to the account (a looser
    `workspace` folder is tightened to 0700)."""
    home = tree.path.parent.parent
    try:
        made = launcher.make_account_dir(tree.account, home.name)
        if made != home:
            raise UnsafeWorkspace(f"{tree.path} is not in {made}, the folder of {who(tree)}")
        launcher.make_dir(tree.account, str(tree.path.parent), mode=0o700)
    except ActFailed as failed:
        hint = (
            " (a user without a Linux account works as aiops's own account, which must be able"
            " to write the workspace root: map the user to a Linux account, or give aiops a"
            " root of its own with AIOPS_WORKSPACE_ROOT)"
            if tree.account is None
            else ""
        )
        raise UnsafeWorkspace(
            f"cannot make {tree.path.parent} private to {who(tree)}: {failed.message}{hint}"
        ) from None
