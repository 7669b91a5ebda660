"""Words for people, shared by the pages and the CLI."""

from __future__ import annotations

from datetime import datetime

from aiops.domain.model.workspaces import WorkspaceStatus

_UNITS = (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def ago(when: datetime, now: datetime) -> str:
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in _UNITS:
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"  # pragma: no cover - the loop always returns for seconds >= 60


def tracking(status: WorkspaceStatus) -> str:
    """'main -> origin/main, ahead 1, behind 2' (or 'detached HEAD', 'no upstream')."""
    if status.branch is None:
        return "detached HEAD"
    if status.upstream is None:
        return f"{status.branch} (no upstream)"
    moved = [f"{word} {n}" for word, n in (("ahead", status.ahead), ("behind", status.behind)) if n]
    return f"{status.branch} -> {status.upstream}" + (f", {', '.join(moved)}" if moved else "")


def changes(status: WorkspaceStatus) -> str:
    if status.clean:
        return "clean"
    counts = (
        ("staged", status.staged),
        ("unstaged", status.unstaged),
        ("untracked", status.untracked),
        ("conflicted", len(status.conflicted)),
    )
    return ", ".join(f"{n} {word}" for word, n in counts if n)


def duration(seconds: float | None) -> str:
    """A run's length: "0.8 s", "12 s", "3 min 05 s", "1 h 02 min"; "—" when unknown."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
