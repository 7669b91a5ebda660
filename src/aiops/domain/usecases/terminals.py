"""Terminals on sessions (issue 17): who may type into a session's tmux window, who may only
watch it, sharing a session with the tenant, and the audit of every attach and detach.

The rule (`terminal_access`): the session's own user, the owners of its project's tenant and
global admins type; the tenant's members watch, read-only, while the session is shared;
everyone else (viewers, other tenants, members of an unshared session) is told the session
does not exist. A long-lived connection asks `OpenTerminal.still_allowed` again from time to
time with the actor loaded afresh: a lost role or an unshared session ends it.
"""

from __future__ import annotations

import enum

import attrs

from aiops.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from aiops.domain.model.access import Actor, Permission, may_act_for
from aiops.domain.model.sessions import AgentSession, AgentStatus
from aiops.domain.model.tenants import Tenant
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._tmux_view import look
from aiops.ports.clock import Clock
from aiops.ports.linux_users import LinuxUsers
from aiops.ports.tmux import TmuxServer, TmuxSessions
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

VIA = ("web", "cli")


class Access(enum.Enum):
    TYPE = "type"
    WATCH = "watch"


def terminal_access(actor: Actor, session: AgentSession, tenant_id: int) -> Access | None:
    """What the actor may do with the session's terminal (None: nothing, not even know of it)."""
    if may_act_for(actor, session.user_id) or actor.may(Permission.MANAGE, tenant_id):
        return Access.TYPE
    if session.shared and actor.may(Permission.USE, tenant_id):
        return Access.WATCH
    return None


class SessionEnded(Conflict):
    """The session has exited or its window is gone: there is nothing to attach to."""

    code = "session_ended"


@attrs.frozen(kw_only=True)
class OpenTerminalCommand:
    session_id: int
    actor: Actor
    via: str = "web"  # "web" | "cli"
    watch: bool = False  # only watch (a preview), whatever the actor may do


@attrs.frozen(kw_only=True)
class TerminalGrant:
    """Leave to attach one client to a session's window, as the window's account."""

    session_id: int
    server: TmuxServer
    session: str
    window: str
    read_only: bool


class GrantCheck(enum.StrEnum):
    ALLOWED = "allowed"
    ENDED = "ended"  # the session exited (stopped, or its window went away)
    REVOKED = "revoked"  # the actor lost the role, or the session is no longer shared


def _via(value: str) -> str:
    if value not in VIA:
        raise ValidationError("via", f"{value[:20]!r} is not one of {'|'.join(VIA)}")
    return value


def _session_and_tenant(uow: UnitOfWork, session_id: int) -> tuple[AgentSession, Tenant] | None:
    session = uow.agent_sessions.get(session_id)
    project = uow.projects.get(session.project_id) if session else None
    tenant = uow.tenants.get(project.tenant_id) if project else None
    if session is None or tenant is None or tenant.id is None:
        return None
    return session, tenant


def _audit(
    uow: UnitOfWork, clock: Clock, actor: Actor, action: str, *, grant: TerminalGrant, via: str
) -> None:
    found = _session_and_tenant(uow, grant.session_id)
    record(
        uow,
        clock,
        actor=actor.name,
        action=action,
        target=f"session:{grant.session_id}",
        tenant=found[1].slug if found else None,
        read_only=grant.read_only,
        via=via,
        window=f"{grant.session}:{grant.window}",
    )


class OpenTerminal:
    """Leave to attach to a session's window: writable or read-only as `terminal_access`
    says; NotFound for those who may not; SessionEnded (a Conflict) when the session has
    exited or its window is gone. The attach is audited here; `CloseTerminal` audits the
    detach."""

    def __init__(
        self, *, uow: UnitOfWorkFactory, tmux: TmuxSessions, linux_users: LinuxUsers, clock: Clock
    ) -> None:
        self._uow = uow
        self._tmux = tmux
        self._linux_users = linux_users
        self._clock = clock

    def __call__(self, cmd: OpenTerminalCommand) -> TerminalGrant:
        via = _via(cmd.via)
        with self._uow(read_only=True) as uow:
            found = _session_and_tenant(uow, cmd.session_id)
            access = terminal_access(cmd.actor, *_id(found)) if found else None
        if found is None or access is None:
            raise NotFound(f"session {cmd.session_id} does not exist")
        session = found[0]
        view = look(self._tmux, self._linux_users, [session])
        server, window = view.server(session), view.window(session)
        if session.status is AgentStatus.EXITED or server is None or not (window and window.alive):
            raise SessionEnded(f"session {cmd.session_id} has ended: launch it again")
        grant = TerminalGrant(
            session_id=cmd.session_id,
            server=server,
            session=session.tmux_session,
            window=session.tmux_window,
            read_only=cmd.watch or access is Access.WATCH,
        )
        with self._uow() as uow:
            _audit(uow, self._clock, cmd.actor, "terminal.attached", grant=grant, via=via)
            uow.commit()
        return grant

    def still_allowed(self, grant: TerminalGrant, actor: Actor) -> GrantCheck:
        """Whether a connection holding `grant` may go on, for `actor` as loaded now (the
        caller loads it afresh; a signed-out user is the caller's to notice). A writer who
        may now only watch is revoked too: their grant is more than they have. Reads the
        database only, never tmux."""
        with self._uow(read_only=True) as uow:
            found = _session_and_tenant(uow, grant.session_id)
        if found is None or found[0].status is AgentStatus.EXITED:
            return GrantCheck.ENDED
        access = terminal_access(actor, *_id(found))
        if access is None or (access is Access.WATCH and not grant.read_only):
            return GrantCheck.REVOKED
        return GrantCheck.ALLOWED


def _id(found: tuple[AgentSession, Tenant]) -> tuple[AgentSession, int]:
    session, tenant = found
    assert tenant.id is not None
    return session, tenant.id


class CloseTerminal:
    """Audit a detach (the client itself is closed by whoever attached it)."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, grant: TerminalGrant, actor: Actor, via: str) -> None:
        with self._uow() as uow:
            _audit(uow, self._clock, actor, "terminal.detached", grant=grant, via=_via(via))
            uow.commit()


@attrs.frozen(kw_only=True)
class ShareSessionCommand:
    session_id: int
    shared: bool
    actor: Actor


class ShareSession:
    """Let the tenant's members watch a session's terminal (or stop letting them). The
    session's user, the tenant's owners and global admins may; a member who watches it is
    told no (PermissionDenied), anyone who may not see it that it does not exist."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def may_share(self, session_id: int, actor: Actor) -> bool:
        """Whether the actor may share (and stop) the session: what its page offers them."""
        with self._uow(read_only=True) as uow:
            found = _session_and_tenant(uow, session_id)
        return found is not None and terminal_access(actor, *_id(found)) is Access.TYPE

    def __call__(self, cmd: ShareSessionCommand) -> AgentSession:
        with self._uow() as uow:
            found = _session_and_tenant(uow, cmd.session_id)
            access = terminal_access(cmd.actor, *_id(found)) if found else None
            if found is None or access is None:
                raise NotFound(f"session {cmd.session_id} does not exist")
            if access is not Access.TYPE:
                raise PermissionDenied("only the session's user or its owners may share it")
            session, tenant = found
            if session.shared == cmd.shared:
                return session
            changed = uow.agent_sessions.update(attrs.evolve(session, shared=cmd.shared))
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="session.shared" if cmd.shared else "session.unshared",
                target=f"session:{cmd.session_id}",
                tenant=tenant.slug,
            )
            uow.commit()
        return changed
