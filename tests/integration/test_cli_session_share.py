"""`aiops session share SESSION_ID --on|--off` against a real instance (SQLite), run as a
subprocess like every CLI test."""

from __future__ import annotations

import sqlite3

from tests.integration.test_cli import Cli, cli

__all__ = ["cli"]


def _add_session(cli: Cli) -> int:
    """A session record, as a launch leaves it (no tmux needed to share it)."""
    with sqlite3.connect(cli.home / "instance" / "aiops.db") as db:
        [(user_id,)] = db.execute("SELECT id FROM users WHERE email = 'ivo@example.com'")
        [(project_id,)] = db.execute("SELECT id FROM projects WHERE slug = 'web'")
        cursor = db.execute(
            "INSERT INTO agent_sessions (user_id, project_id, tool, linux_user, tmux_socket,"
            " tmux_session, tmux_window, status, started_at)"
            " VALUES (?, ?, 'shell', 'ivo', '/tmp/tmux-1000/default', 'web-p1', 'ivo-shell',"
            " 'working', '2026-12-03 10:00:00+00:00')",
            (user_id, project_id),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def _shared(cli: Cli, session_id: int) -> bool:
    with sqlite3.connect(cli.home / "instance" / "aiops.db") as db:
        [(shared,)] = db.execute("SELECT shared FROM agent_sessions WHERE id = ?", (session_id,))
    return bool(shared)


def test_share_turns_the_flag_on_and_off_and_is_audited(cli: Cli) -> None:
    session_id = _add_session(cli)

    on = cli.ok("session", "share", str(session_id), "--on")
    was_on = _shared(cli, session_id)
    off = cli.ok("session", "share", str(session_id), "--off")

    assert on == f"session {session_id} shared: its tenant's members may watch it\n"
    assert off == f"session {session_id} not shared\n"
    assert (was_on, _shared(cli, session_id)) == (True, False)
    actions = [e["action"] for e in cli.json("audit", "list")][:2]
    assert actions == ["session.unshared", "session.shared"]


def test_sharing_an_unknown_session_is_one_line_and_exit_1(cli: Cli) -> None:
    result = cli.run("session", "share", "999999", "--on")

    assert result.returncode == 1
    assert result.stderr == "aiops: error: session 999999 does not exist\n"


def test_share_needs_on_or_off(cli: Cli) -> None:
    assert cli.run("session", "share", "1").returncode == 2
