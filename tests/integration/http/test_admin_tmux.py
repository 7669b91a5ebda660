"""Admin -> Settings "tmux Sessions" card: the live count, a dry run that changes nothing, and
a resync that recreates a vanished window, prunes a deleted project's session and is audited
(tmux and the Linux accounts in memory; tests/integration/tmux drives a real tmux)."""

from __future__ import annotations

import attrs

from aiops.container import Container
from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.integration.http.conftest import Sessions, World, post_form, sign_in

ORPHAN = "gone-p999"  # a -p<ID> session whose project does not exist


def launch_and_orphan(sessions: Sessions) -> str:
    """max's shell session in acme/web, and an orphan session on the same tmux server; the
    socket."""
    app, world = sessions.app, sessions.world
    app.launch_session()(
        LaunchSessionCommand(
            project_id=sessions.world.web_id, tool="shell", user_email=World.MEMBER
        )
    )
    [spec] = sessions.tmux.launched
    sessions.tmux.launch(attrs.evolve(spec, session=ORPHAN))
    assert world.web_id != 999
    return spec.socket


def resynced(app: Container) -> list[dict[str, object]]:
    with app.uow() as uow:
        return [dict(e.detail) for e in uow.audit.list(AuditQuery(action="tmux.resynced"))]


def test_the_card_counts_the_live_sessions(sessions: Sessions) -> None:
    launch_and_orphan(sessions)
    sign_in(sessions.client, World.ADMIN)

    page = sessions.client.get("/admin/settings").text

    assert 'data-card="tmux sessions"' in page
    assert '<td class="tmux-live">1</td>' in page
    assert 'action="/admin/tmux/resync"' in page


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(sessions: Sessions) -> None:
    client, tmux, world = sessions.client, sessions.tmux, sessions.world
    socket = launch_and_orphan(sessions)
    tmux.drop(socket, f"web-p{world.web_id}", "max-shell")
    sign_in(client, World.ADMIN)

    response = post_form(client, "/admin/tmux/resync", {"dry_run": "1"})
    page = client.get("/admin/settings").text

    assert response.headers["location"] == "/admin/settings"
    assert (
        f"tmux resync (dry run): would recreate 1 window (web-p{world.web_id}:max-shell), "
        f"would prune 1 session ({ORPHAN})." in page
    )
    assert set(tmux.servers[socket]) == {ORPHAN}
    assert resynced(sessions.app) == []


def test_a_resync_recreates_prunes_and_is_audited(sessions: Sessions) -> None:
    client, tmux, world = sessions.client, sessions.tmux, sessions.world
    socket = launch_and_orphan(sessions)
    tmux.drop(socket, f"web-p{world.web_id}", "max-shell")
    sign_in(client, World.ADMIN)

    response = post_form(client, "/admin/tmux/resync", {"dry_run": "0"})
    page = client.get("/admin/settings").text

    assert response.status_code == 303
    assert (
        f"tmux resync: recreate 1 window (web-p{world.web_id}:max-shell), "
        f"prune 1 session ({ORPHAN})." in page
    )
    assert set(tmux.servers[socket]) == {f"web-p{world.web_id}"}
    assert set(tmux.servers[socket][f"web-p{world.web_id}"]) == {"max-shell"}
    assert resynced(sessions.app) == [{"recreated": 1, "pruned": 1, "exited": 0}]


def test_a_member_may_not_resync(sessions: Sessions) -> None:
    socket = launch_and_orphan(sessions)
    sign_in(sessions.client, World.MEMBER)

    response = post_form(sessions.client, "/admin/tmux/resync", {"dry_run": "0"})

    assert response.status_code == 403
    assert ORPHAN in sessions.tmux.servers[socket]
    assert resynced(sessions.app) == []
