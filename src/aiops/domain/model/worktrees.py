"""One git worktree per task: a second work tree of a user's workspace, on its own branch.

A worktree lives at `<root>/<account>/worktrees/<project-slug>/<branch-slug>`, outside the
main workspace (whose status stays clean), and shares the main workspace's repository: a fetch
there updates the remote-tracking branches of every worktree. An issue's worktree is on the
branch `aiops/<issue-key-slug>` (GitHub #12 "Fix login" -> `aiops/gh-12-fix-login`). Every
name that reaches a path or git is made here from validated parts and checked again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import PurePosixPath

import attrs

from aiops.domain.errors import Conflict, NotFound, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy

ISSUE_BRANCH_PREFIX = "aiops/"
ISSUE_SLUG_MAX = 48  # the key and the title's first words: short enough to type
SEGMENT_MAX = validation.SLUG_MAX
_PREFIXES = {"github": "gh", "gitlab": "gl", "jira": ""}  # a Jira key names its project already
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def _slugged(text: str) -> str:
    """Lowercase ASCII letters and digits, single hyphens between them (accents dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", folded.lower()).strip("-")


def _bounded(slug: str, limit: int) -> str:
    """At most `limit` characters, cut at a hyphen when there is one to cut at."""
    if len(slug) <= limit:
        return slug
    cut = slug[:limit]
    if slug[limit] != "-" and "-" in cut:
        cut = cut.rsplit("-", 1)[0]
    return cut.strip("-")


def issue_key_slug(provider: str, number: str, title: str, *, limit: int = ISSUE_SLUG_MAX) -> str:
    """The issue's key and title as one slug: `gh-12-fix-login` (GitHub #12), `gl-3-...`
    (GitLab #3), `ops-7-...` (Jira OPS-7). Always a valid slug (hence a branch name and a
    path segment) of at most `limit` characters; the key is kept whole when it fits."""
    key = "-".join(p for p in (_PREFIXES.get(provider, _slugged(provider)), _slugged(number)) if p)
    key = _bounded(key or "issue", limit)
    words = _slugged(title)
    room = limit - len(key) - 1
    if words and room > 0:
        words = _bounded(words, room)
    slug = f"{key}-{words}" if words and room > 0 else key
    return validation.slug(slug.strip("-"), field="issue")


def issue_branch(provider: str, number: str, title: str) -> str:
    """The branch of an issue's worktree: `aiops/<issue-key-slug>`."""
    return validation.branch(ISSUE_BRANCH_PREFIX + issue_key_slug(provider, number, title))


def branch_segment(branch: str) -> str:
    """The folder a branch's worktree gets: the branch as a slug (`aiops/gh-12-fix-login` ->
    `aiops-gh-12-fix-login`), at most 63 characters. Two branches may share one (the second
    worktree is refused: WorktreeExists)."""
    validation.branch(branch)
    return validation.slug(_bounded(_slugged(branch), SEGMENT_MAX) or "branch", field="branch")


def worktrees_folder(policy: WorkspacePolicy, user: User, project_slug: str) -> PurePosixPath:
    """`<root>/<account>/worktrees/<project-slug>`: the user's worktrees of a project."""
    workspace = policy.path_for(user, project_slug)  # validates the account and the slug
    return workspace.parent.parent / "worktrees" / workspace.name


def worktree_path(
    policy: WorkspacePolicy, user: User, project_slug: str, branch: str
) -> PurePosixPath:
    """Where the user's worktree of a project on `branch` lives; always under the root."""
    folder = worktrees_folder(policy, user, project_slug)
    path = folder / branch_segment(branch)
    if path.parent != folder or path.parent.parent.parent.parent != policy.root:
        raise ValidationError("worktree", f"{path} is outside {policy.root}")
    return path


@attrs.frozen(kw_only=True)
class Worktree:
    user_id: int
    project_id: int
    branch: str = attrs.field(validator=lambda _i, _a, v: validation.branch(v))
    path: str
    created_at: datetime
    issue_id: int | None = None
    id: int | None = None


@attrs.frozen(kw_only=True)
class Losses:
    """What removing a worktree would lose: uncommitted files, and commits on no
    remote-tracking branch ("<short sha> <subject>")."""

    files: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.files or self.commits)


def _listing(items: Iterable[str], limit: int = 5) -> str:
    names = list(items)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class WorktreeMissing(NotFound):
    code = "worktree_missing"


class WorktreeExists(Conflict):
    code = "worktree_exists"


class WorktreeDirty(Conflict):
    """Removing the worktree would lose work; nothing was removed."""

    code = "worktree_dirty"

    def __init__(self, path: str, losses: Losses) -> None:
        self.files = losses.files
        self.commits = losses.commits
        lost = []
        if losses.files:
            lost.append(f"uncommitted changes in {_listing(sorted(losses.files))}")
        if losses.commits:
            count = len(losses.commits)
            lost.append(
                f"{count} unpushed commit{'s' if count > 1 else ''} ({_listing(losses.commits)})"
            )
        super().__init__(
            f"removing {path} would lose {' and '.join(lost)}: commit and push them, or force "
            "the removal"
        )
