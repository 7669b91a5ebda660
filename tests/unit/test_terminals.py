"""Terminal use cases (issue 17): who types, who watches, sharing, re-checks and the audit,
against the in-memory tmux, Linux users and unit of work."""

from __future__ import annotations

import pytest

from aiops.domain.errors import NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.sessions import AgentSession
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.terminals import (
    CloseTerminal,
    GrantCheck,
    OpenTerminal,
    OpenTerminalCommand,
    SessionEnded,
    ShareSession,
    ShareSessionCommand,
    TerminalGrant,
)
from aiops.domain.usecases.users import CreateUserCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.unit.test_sessions import IVO, OWNER, VERA, World

MIA = "mia@example.com"  # another member of acme
GUS = "gus@example.com"  # owner of another tenant
ADA = "ada@example.com"  # global admin


class Terminals(World):
    def __init__(self) -> None:
        super().__init__()
        self.app.create_tenant()(CreateTenantCommand(slug="globex", name="Globex"))
        for email, tenant, role in ((MIA, "acme", "member"), (GUS, "globex", "owner")):
            self.app.create_user()(CreateUserCommand(email=email, name=email.split("@")[0]))
            self.app.add_member()(AddMemberCommand(tenant=tenant, email=email, role=role))
        self.app.create_user()(CreateUserCommand(email=ADA, name="Ada", is_admin=True))
        ports = {"uow": self.uow, "clock": self.clock}
        self.open = OpenTerminal(**ports, tmux=self.tmux, linux_users=self.users)
        self.close = CloseTerminal(**ports)
        self.share = ShareSession(**ports)
        self.session = self.launch(self.cmd(IVO, "shell")).session
        assert self.session.id is not None
        self.id = self.session.id

    def open_as(self, email: str, via: str = "web") -> TerminalGrant:
        return self.open(OpenTerminalCommand(session_id=self.id, actor=self.actor(email), via=via))

    def set_shared(self, shared: bool, email: str = IVO) -> AgentSession:
        return self.share(
            ShareSessionCommand(session_id=self.id, shared=shared, actor=self.actor(email))
        )

    def audit(self) -> list[tuple[str, str, object, object]]:
        """The terminal's audit events, oldest first."""
        with self.uow as uow:
            return [
                (e.actor, e.action, e.detail.get("read_only"), e.detail.get("via"))
                for e in reversed(uow.audit.list(AuditQuery()))
                if e.action.startswith("terminal.")
            ]


@pytest.fixture
def world() -> Terminals:
    return Terminals()


# (who, shared) -> read_only, or None for NotFound
RULES = [
    (IVO, False, False),  # the session's own user types
    (OWNER, False, False),  # the tenant's owner types
    (ADA, False, False),  # a global admin types
    (MIA, False, None),  # a member of an unshared session: no such session
    (MIA, True, True),  # a member of a shared session watches
    (VERA, False, None),  # a viewer never
    (VERA, True, None),
    (GUS, False, None),  # another tenant's owner never
    (GUS, True, None),
    (IVO, True, False),  # sharing takes nothing from those who type
    (OWNER, True, False),
]


@pytest.mark.parametrize(("who", "shared", "read_only"), RULES)
def test_who_may_type_and_who_may_watch(
    world: Terminals, who: str, shared: bool, read_only: bool | None
) -> None:
    world.set_shared(shared)

    if read_only is None:
        with pytest.raises(NotFound, match=f"session {world.id} does not exist"):
            world.open_as(who)
        assert world.audit() == []
        return
    grant = world.open_as(who)

    assert grant.read_only is read_only
    assert (grant.session, grant.window) == (world.session.tmux_session, world.session.tmux_window)
    assert (grant.server.socket, grant.server.account.name) == (world.session.tmux_socket, "ivan")
    assert world.audit() == [(who, "terminal.attached", read_only, "web")]


def test_a_missing_session_is_not_found(world: Terminals) -> None:
    with pytest.raises(NotFound):
        world.open(OpenTerminalCommand(session_id=999, actor=world.actor(ADA)))


def test_an_ended_session_is_a_conflict_saying_so(world: Terminals) -> None:
    world.stop(world.id, world.actor(IVO))

    with pytest.raises(SessionEnded, match="has ended"):
        world.open_as(IVO)


def test_a_window_gone_from_tmux_is_a_conflict_too(world: Terminals) -> None:
    world.tmux.drop(world.session.tmux_socket, world.session.tmux_session)

    with pytest.raises(SessionEnded):
        world.open_as(OWNER)


def test_via_is_web_or_cli_and_the_detach_is_audited(world: Terminals) -> None:
    grant = world.open_as(ADA, via="cli")
    world.close(grant, world.actor(ADA), "cli")

    with pytest.raises(ValidationError, match="via"):
        world.open_as(ADA, via="ssh")
    assert world.audit() == [
        (ADA, "terminal.attached", False, "cli"),
        (ADA, "terminal.detached", False, "cli"),
    ]


# what changes after the grant -> what the re-check says
def _unshare(w: Terminals) -> None:
    w.set_shared(False)


def _demote_owner(w: Terminals) -> None:
    w.app.add_member()(AddMemberCommand(tenant="acme", email=OWNER, role="member"))


def _stop(w: Terminals) -> None:
    w.stop(w.id, w.actor(IVO))


def _nothing(w: Terminals) -> None:
    pass


RECHECKS = [
    (MIA, _nothing, GrantCheck.ALLOWED),
    (MIA, _unshare, GrantCheck.REVOKED),
    (OWNER, _demote_owner, GrantCheck.REVOKED),  # shared: a member may watch, not type
    (IVO, _unshare, GrantCheck.ALLOWED),
    (MIA, _stop, GrantCheck.ENDED),
]


@pytest.mark.parametrize(("who", "change", "verdict"), RECHECKS)
def test_a_grant_is_checked_again_with_the_actor_as_loaded_now(
    world: Terminals, who: str, change: object, verdict: GrantCheck
) -> None:
    world.set_shared(True)
    grant = world.open_as(who)

    assert callable(change)
    change(world)

    assert world.open.still_allowed(grant, world.actor(who)) is verdict


def test_a_lost_membership_revokes_a_watcher() -> None:
    world = Terminals()
    world.set_shared(True)
    grant = world.open_as(MIA)
    stranger = Actor(name=MIA, user_id=world.actor(MIA).user_id, roles={})

    assert world.open.still_allowed(grant, stranger) is GrantCheck.REVOKED


SHARERS = [
    (IVO, None),
    (OWNER, None),
    (ADA, None),
    (MIA, NotFound),  # cannot see an unshared session
    (VERA, NotFound),
    (GUS, NotFound),
]


@pytest.mark.parametrize(("who", "error"), SHARERS)
def test_who_may_share_a_session(world: Terminals, who: str, error: type[Exception] | None) -> None:
    if error is not None:
        with pytest.raises(error):
            world.set_shared(True, who)
        assert world.uow.committed.agent_sessions[world.id].shared is False
        return
    shared = world.set_shared(True, who)

    assert shared.shared is True
    assert world.uow.committed.agent_sessions[world.id].shared is True
    with world.uow as uow:
        [event] = [e for e in uow.audit.list(AuditQuery()) if e.action == "session.shared"]
    assert (event.actor, event.target, event.tenant) == (who, f"session:{world.id}", "acme")


def test_a_watcher_may_not_unshare_and_only_changes_are_audited(world: Terminals) -> None:
    world.set_shared(True)
    world.set_shared(True)

    with pytest.raises(PermissionDenied):
        world.set_shared(False, MIA)
    world.set_shared(False, OWNER)
    with world.uow as uow:
        events = uow.audit.list(AuditQuery())  # newest first
    actions = [e.action for e in events if e.action.startswith("session.")]
    assert actions[:2] == ["session.unshared", "session.shared"]
    assert actions.count("session.shared") == 1


def test_a_member_sees_a_shared_session_but_may_not_stop_it(world: Terminals) -> None:
    hidden = [v.session.id for v in world.list(world.actor(MIA))]
    world.set_shared(True)
    seen = [v.session.id for v in world.list(world.actor(MIA))]
    view, _ = world.view(world.id, world.actor(MIA))

    with pytest.raises(PermissionDenied):
        world.stop(world.id, world.actor(MIA))
    assert (hidden, seen, view.session.id) == ([], [world.id], world.id)
    assert [v.session.id for v in world.list(world.actor(VERA))] == []
