"""What the tracker adapters' writes share (issue 19): the hidden marker of a comment aiops
posts (`<!-- aiops:KEY -->`, see domain/model/pull_requests.py) and how find_comment
recognises it, and the checks on what goes into a URL or a query.

The marker's key is matched whole: "aiops:review:pr:5:1" does not match a body that holds only
"aiops:review:pr:5:12". Jira drops HTML comments, so its comments carry the marker as a
visible line "aiops:KEY" instead; the match works on both shapes.
"""

from __future__ import annotations

import re

from aiops.domain.model.trackers import TrackerError

_HIDDEN = re.compile(r"^\s*<!--\s*(aiops:\S+?)\s*-->\s*$")
_BRANCH = re.compile(r"[A-Za-z0-9._/+-]{1,255}")


def marker_text(marker: str) -> str:
    """ "aiops:KEY" from "<!-- aiops:KEY -->" (or from "aiops:KEY" itself)."""
    hidden = _HIDDEN.match(marker)
    return hidden[1] if hidden else marker.strip()


def hidden_marker_line(line: str) -> str | None:
    """ "aiops:KEY" when `line` is a hidden marker line, else None."""
    hidden = _HIDDEN.match(line)
    return hidden[1] if hidden else None


def holds_marker(body: str, marker: str) -> bool:
    """Whether `body` carries `marker` (hidden or visible), its key matched whole."""
    text = marker_text(marker)
    if not text:
        return False
    return re.search(rf"(?<![\w:.-]){re.escape(text)}(?![\w:.-])", body) is not None


def issue_number(issue: str, tracker: str) -> int:
    """12 from "#12" (a GitHub or GitLab issue as synced) or "12"."""
    digits = issue.removeprefix("#")
    if not digits.isdigit() or len(digits) > 12 or int(digits) < 1:
        raise TrackerError(f"{issue[:40]!r} is not a {tracker} issue number (such as #12)")
    return int(digits)


def branch_name(name: str) -> str:
    """A branch name fit for a query or a request body (aiops's are `aiops/<slug>`)."""
    if (
        not _BRANCH.fullmatch(name)
        or ".." in name
        or name.startswith(("/", "-", "."))
        or name.endswith(("/", ".", ".lock"))
    ):
        raise TrackerError(f"{name[:80]!r} is not a branch name")
    return name


def one_line(text: str, limit: int = 200) -> str:
    """A server's message, squeezed onto one short line."""
    return " ".join(text.split())[:limit]
