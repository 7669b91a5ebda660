"""AI coding sessions: launch a tool in tmux as the user's Linux account, list them with their
status, stop them, reconcile the records with the tmux servers, resync missing windows.

Listing asks each tmux server once (every window of every session in one call), however many
sessions it holds; the records are then brought in line with what the servers say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from aiops.domain.errors import AccountRefused, NotFound, PermissionDenied
from aiops.domain.model.access import SYSTEM, Actor, Permission, may_act_for, require_acting_for
from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import (
    DEFAULT_TOOLS,
    AgentEvent,
    AgentSession,
    AgentStatus,
    SessionRefused,
    StatusSource,
    Tool,
    ToolSpec,
    session_name,
    window_name,
)
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import actor_for, own_account, require_project, require_user
from aiops.domain.usecases._tmux_view import (
    TmuxView,
    ended,
    look,
    plan_resync,
    server_of,
    servers_of,
    window_of,
)
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.agent_context import PopulateCommand
from aiops.domain.usecases.workspaces import WorkspaceResult
from aiops.domain.usecases.worktrees import AddWorktreeCommand, WorktreeResult
from aiops.ports.agent_hooks import AgentHooks
from aiops.ports.clock import Clock
from aiops.ports.linux_users import LinuxAccount, LinuxUsers
from aiops.ports.session_tokens import SessionTokens
from aiops.ports.tmux import TmuxServer, TmuxSessions, WindowSpec
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


def tool_specs(
    enabled: Iterable[str],
    commands: Mapping[str, Sequence[str]],
    envs: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[Tool, ToolSpec]:
    """The allowlist from the settings: the enabled tools, each with its default spec, another
    argv (AIOPS_AGENT_COMMANDS) and more environment (AIOPS_AGENT_ENV)."""
    envs = envs or {}
    specs: dict[Tool, ToolSpec] = {}
    for name in enabled:
        tool = Tool.parse(name)
        spec = DEFAULT_TOOLS[tool]
        argv = commands.get(tool.value)
        specs[tool] = attrs.evolve(
            spec,
            argv=tuple(argv) if argv else spec.argv,
            env={**spec.env, **envs.get(tool.value, {})},
        )
    for setting, names in (("AIOPS_AGENT_COMMANDS", commands), ("AIOPS_AGENT_ENV", envs)):
        for name in names:
            if Tool.parse(name) not in specs:
                raise SessionRefused(f"{setting} names {name!r}, which is not enabled")
    return specs


@attrs.frozen(kw_only=True)
class SessionPolicy:
    """What the settings say about sessions."""

    tools: Mapping[Tool, ToolSpec]
    workspace: WorkspacePolicy
    tmux_tmpdir: str = "/tmp"  # noqa: S108 - tmux's own default
    socket_name: str = "default"
    login_shell: bool = True
    host: str = "localhost"
    event_socket: str = ""  # AIOPS_EVENT_SOCKET: where hooks send events ("": no socket)
    url: str = ""  # AIOPS_URL: the server as agents reach it ("": not set)

    def spec(self, tool: Tool) -> ToolSpec:
        spec = self.tools.get(tool)
        if spec is None:
            enabled = ", ".join(t.value for t in self.tools) or "none"
            raise SessionRefused(f"{tool.value} is not enabled here (AIOPS_AGENT_TOOLS: {enabled})")
        return spec

    def socket_for(self, account: LinuxAccount) -> str:
        """The account's own tmux server, where tmux itself would put it."""
        return f"{self.tmux_tmpdir.rstrip('/')}/tmux-{account.uid}/{self.socket_name}"


class CredentialMirror(Protocol):
    def __call__(self, user_id: int, tool: Tool, account: LinuxAccount) -> Mapping[str, str]:
        """Mirror the user's stored credentials into the tool's config folder; the secret
        environment the session needs (e.g. CLAUDE_CODE_OAUTH_TOKEN)."""
        ...


@attrs.frozen(kw_only=True)
class LaunchSessionCommand:
    project_id: int
    tool: str
    user_email: str | None = None  # None: the actor
    issue_id: int | None = None
    actor: Actor = SYSTEM


@attrs.frozen(kw_only=True)
class LaunchResult:
    session: AgentSession
    created: bool  # False: the window was running already and has been focused


@attrs.frozen(kw_only=True)
class SessionView:
    session: AgentSession
    status: AgentStatus
    last_activity: datetime | None
    attach: str  # the command that attaches from a terminal


@attrs.frozen(kw_only=True)
class _Allowed:
    user: User
    project: Project
    account_name: str | None  # as WorkspacePolicy.account_for decided


class LaunchSession:
    """Start a tool in the project's tmux session as the user's Linux account, in the user's
    workspace (cloned first when needed), or focus its window when it is running already."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        tmux: TmuxSessions,
        linux_users: LinuxUsers,
        clock: Clock,
        policy: SessionPolicy,
        init_workspace: Callable[[WorkspaceRef], WorkspaceResult],
        context: Callable[[PopulateCommand], object] | None = None,  # AGENTS.override.md
        credentials: CredentialMirror | None = None,
        worktree: Callable[[AddWorktreeCommand], WorktreeResult] | None = None,  # an issue's
        tokens: SessionTokens | None = None,  # AIOPS_SESSION_TOKEN (None: none given)
        hooks: AgentHooks | None = None,  # the tools' hook settings (None: the pane only)
    ) -> None:
        self._uow = uow
        self._tmux = tmux
        self._linux_users = linux_users
        self._clock = clock
        self._policy = policy
        self._init_workspace = init_workspace
        self._context = context
        self._credentials = credentials
        self._worktree = worktree
        self._tokens = tokens
        self._hooks = hooks

    def __call__(self, cmd: LaunchSessionCommand) -> LaunchResult:
        tool = Tool.parse(cmd.tool)
        spec = self._policy.spec(tool)
        allowed = self._allowed(cmd)
        user, project = allowed.user, allowed.project
        assert user.id is not None
        assert project.id is not None
        account = account_of(user, allowed.account_name, self._linux_users)
        cwd = self._prepare(cmd, user)
        window = plan_window(
            self._policy,
            spec,
            project=project,
            window=window_name(user.username, tool, cmd.issue_id),
            account=account,
            cwd=cwd,
            secret_env=self._credentials(user.id, tool, account) if self._credentials else {},
        )
        fresh = self._reserve(
            new_record(
                window,
                tool=tool,
                issue_id=cmd.issue_id,
                user_id=user.id,
                project_id=project.id,
                now=self._clock.now(),
            )
        )
        try:
            if self._hooks is not None and spec.config_dir:
                self._hooks.install(tool, account, f"{account.home}/{spec.config_dir}")
            created = self._tmux.launch(self._with_session_env(window, fresh)).created
        except BaseException:
            self._forget(fresh)
            raise
        return self._keep(cmd.actor, fresh, project.slug, created=created)

    def _allowed(self, cmd: LaunchSessionCommand) -> _Allowed:
        """The user, the project and the user's Linux account name, once the launch is
        allowed."""
        missing = f"project {cmd.project_id} does not exist"
        with self._uow(read_only=True) as uow:
            project, tenant = require_project(uow, cmd.project_id, cmd.actor)
            user = require_user(uow, cmd.user_email or cmd.actor.name)
            require_acting_for(cmd.actor, user, "launch sessions as yourself")
            actor_for(uow, user).require(Permission.USE, tenant, missing)
            if cmd.issue_id is not None:
                issue = uow.issues.get(cmd.issue_id)
                if issue is None or issue.project_id != project.id:
                    raise NotFound(f"issue {cmd.issue_id} does not exist in project {project.slug}")
            name = own_account(uow, self._policy.workspace, user)
        return _Allowed(user=user, project=project, account_name=name)

    def _prepare(self, cmd: LaunchSessionCommand, user: User) -> str:
        """Where the tool runs: the user's workspace (cloned when needed), or for an issue
        that issue's worktree (made on its first launch), with the issue in the tree's
        AGENTS.override.md."""
        workspace = self._init_workspace(
            WorkspaceRef(project_id=cmd.project_id, user_email=user.email, actor=cmd.actor)
        )
        if cmd.issue_id is None:
            return workspace.path
        worktree = None
        if self._worktree is not None:
            made = self._worktree(
                AddWorktreeCommand(
                    project_id=cmd.project_id,
                    user_email=user.email,
                    issue_id=cmd.issue_id,
                    actor=cmd.actor,
                )
            )
            worktree = made.worktree.path
        if self._context is not None:
            self._context(
                PopulateCommand(
                    issue_id=cmd.issue_id, user_email=user.email, actor=cmd.actor, worktree=worktree
                )
            )
        return worktree or workspace.path

    def _reserve(self, fresh: AgentSession) -> AgentSession:
        """The new record, made before tmux starts the window: its id goes into the window's
        environment (AIOPS_SESSION_ID)."""
        with self._uow() as uow:
            session = uow.agent_sessions.add(fresh)
            uow.commit()
        return session

    def _forget(self, fresh: AgentSession) -> None:
        """A launch that failed, or only focused a running window, leaves no record of its own."""
        assert fresh.id is not None
        with self._uow() as uow:
            uow.agent_sessions.delete(fresh.id)
            uow.commit()

    def _with_session_env(self, window: WindowSpec, session: AgentSession) -> WindowSpec:
        assert session.id is not None
        token = self._tokens.issue(session.id, session.linux_user) if self._tokens else None
        env, secret_env = session_env(self._policy, session.id, token)
        return attrs.evolve(
            window, env={**window.env, **env}, secret_env={**window.secret_env, **secret_env}
        )

    def _keep(
        self, actor: Actor, fresh: AgentSession, project_slug: str, *, created: bool
    ) -> LaunchResult:
        """Keep the launched window's record (a running window that is recorded already: its
        old record, whose token its environment holds; the new one is forgotten)."""
        with self._uow() as uow:
            others = [s for s in uow.agent_sessions.list(live=True) if s.id != fresh.id]
            plan = plan_record(recorded(others, fresh), created=created, now=fresh.started_at)
            if plan.reuse is not None:
                uow.agent_sessions.delete(fresh.id or 0)
                uow.commit()
                return LaunchResult(session=plan.reuse, created=False)
            if plan.end is not None:
                uow.agent_sessions.update(plan.end)
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="session.launched",
                target=f"session:{fresh.id}",
                tool=fresh.tool.value,
                project=project_slug,
                linux_user=fresh.linux_user,
                window=fresh.target,
            )
            uow.commit()
        return LaunchResult(session=fresh, created=True)


def session_env(
    policy: SessionPolicy, session_id: int, token: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """(env, secret env) that tell the session's hook command who it is and where to send
    events: AIOPS_SESSION_ID, AIOPS_EVENT_SOCKET and AIOPS_URL (when set), and the token as
    AIOPS_SESSION_TOKEN in the secret environment (never on a command line)."""
    env = {"AIOPS_SESSION_ID": str(session_id)}
    if policy.event_socket:
        env["AIOPS_EVENT_SOCKET"] = policy.event_socket
    if policy.url:
        env["AIOPS_URL"] = policy.url
    return env, ({"AIOPS_SESSION_TOKEN": token} if token else {})


def plan_window(
    policy: SessionPolicy,
    spec: ToolSpec,
    *,
    project: Project,
    window: str,
    account: LinuxAccount,
    cwd: str,
    secret_env: Mapping[str, str],
) -> WindowSpec:
    """The tool's window in the project's session on the account's own tmux server. Its
    environment is the tool's own, with its config folder (in the account's HOME) named in
    each variable the tool reads it from."""
    assert project.id is not None
    env = dict(spec.env)
    if spec.config_dir:
        env |= dict.fromkeys(spec.config_env, f"{account.home}/{spec.config_dir}")
    return WindowSpec(
        socket=policy.socket_for(account),
        session=session_name(project.slug, project.id),
        window=window,
        account=account,
        cwd=cwd,
        argv=spec.argv,
        env=env,
        secret_env=secret_env,
        login_shell=policy.login_shell,
    )


def new_record(
    window: WindowSpec,
    *,
    tool: Tool,
    issue_id: int | None,
    user_id: int,
    project_id: int,
    now: datetime,
) -> AgentSession:
    """The record of a window just started."""
    return AgentSession(
        user_id=user_id,
        project_id=project_id,
        tool=tool,
        issue_id=issue_id,
        linux_user=window.account.name,
        tmux_socket=window.socket,
        tmux_session=window.session,
        tmux_window=window.window,
        started_at=now,
        last_activity=now,
    )


@attrs.frozen(kw_only=True)
class RecordPlan:
    """What a launch does to the records of its window."""

    reuse: AgentSession | None = None  # the window was running and is recorded: only focused
    end: AgentSession | None = None  # the record of the window that had gone, ended now


def plan_record(known: AgentSession | None, *, created: bool, now: datetime) -> RecordPlan:
    """`known`: the live record of the launched window; `created`: whether tmux started the
    window (else it was running). A new record is added unless `reuse` is set."""
    if known is None:
        return RecordPlan()
    if not created:
        return RecordPlan(reuse=known)
    return RecordPlan(end=ended(known, now))


def recorded(live: Iterable[AgentSession], fresh: AgentSession) -> AgentSession | None:
    """The live record of the same window as `fresh`, if there is one."""
    return next((s for s in live if window_of(s) == window_of(fresh)), None)


def account_of(user: User, name: str | None, linux_users: LinuxUsers) -> LinuxAccount:
    """The account a session of the user runs as (`name`, as WorkspacePolicy.account_for
    decided); SessionRefused, saying why, when there is none or aiops may not act as it."""
    if name is None:
        raise SessionRefused(
            f"{user.email} has no Linux account: map it in AIOPS_LINUX_USER_MAPPING or set the "
            "user's Linux username (or use AIOPS_LINUX_USER_STRATEGY=direct)"
        )
    try:
        account = linux_users.lookup(name)
    except AccountRefused as refused:
        raise SessionRefused(f"{user.email} may not run sessions: {refused.message}") from None
    if account is None:
        raise SessionRefused(f"the Linux account {name!r} does not exist ({user.email}'s)")
    return account


class RefreshSessions:
    """Views of records from one tmux call per server (each as its account); the records whose
    status changed are saved. Shared by the use cases that show sessions."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        tmux: TmuxSessions,
        linux_users: LinuxUsers,
        clock: Clock,
        policy: SessionPolicy,
    ) -> None:
        self._uow = uow
        self._tmux = tmux
        self._linux_users = linux_users
        self._clock = clock
        self._host = policy.host

    def __call__(self, sessions: Sequence[AgentSession]) -> list[SessionView]:
        if not sessions:
            return []
        view = look(self._tmux, self._linux_users, sessions)
        now = self._clock.now()
        current = [view.state_of(s, now) for s in sessions]
        if any(c != s for c, s in zip(current, sessions, strict=True)):
            current = self._save(view, now, sessions, current)
        return [
            SessionView(
                session=c,
                status=c.status,
                last_activity=c.last_activity,
                attach=c.attach_command(self._host),
            )
            for c in current
        ]

    def _save(
        self,
        view: TmuxView,
        now: datetime,
        sessions: Sequence[AgentSession],
        current: Sequence[AgentSession],
    ) -> list[AgentSession]:
        """Store what the pane changed. A record changed meanwhile (a hook event came while
        tmux was read) is decided again from what is stored, so the pane's reading never
        overwrites a fresher hook status."""
        saved = []
        with self._uow() as uow:
            for read, decided in zip(sessions, current, strict=True):
                before, after = read, decided
                stored = uow.agent_sessions.get(read.id or 0) if decided != read else None
                if stored is not None and stored != read:
                    before, after = stored, view.state_of(stored, now)
                if after != before:
                    uow.agent_sessions.update(after)
                if (transition := pane_transition(before, after)) is not None:
                    uow.agent_events.add(transition)
                saved.append(after)
            uow.commit()
        return saved


def pane_transition(before: AgentSession, after: AgentSession) -> AgentEvent | None:
    """The history's entry for a status the pane decided (event "pane"), if it changed."""
    if after.status is before.status or after.status_source is not StatusSource.PANE:
        return None
    assert after.id is not None
    return AgentEvent(
        session_id=after.id,
        event="pane",
        status=after.status,
        source=StatusSource.PANE,
        at=after.status_since or after.started_at,
    )


def _server(linux_users: LinuxUsers, session: AgentSession) -> TmuxServer | None:
    """The record's tmux server as its account now (None: the account is gone)."""
    return server_of(servers_of(linux_users, [session]), session)


def _may_see(uow: UnitOfWork, actor: Actor, session: AgentSession) -> bool:
    """Your own sessions; every session of a tenant you manage (admins: all); a shared one of
    a tenant you are a member of (to watch its terminal)."""
    if may_act_for(actor, session.user_id):
        return True
    project = uow.projects.get(session.project_id)
    return may_see(actor, session, project.tenant_id if project is not None else None)


def may_see(actor: Actor, session: AgentSession, tenant_id: int | None) -> bool:
    """_may_see's decision, given the tenant of the session's project (None: it is gone)."""
    if may_act_for(actor, session.user_id):
        return True
    needs = Permission.USE if session.shared else Permission.MANAGE
    return tenant_id is not None and actor.may(needs, tenant_id)


def _visible_session(uow: UnitOfWork, actor: Actor, session_id: int) -> AgentSession:
    session = uow.agent_sessions.get(session_id)
    if session is None or not _may_see(uow, actor, session):
        raise NotFound(f"session {session_id} does not exist")
    return session


def _controlled_session(uow: UnitOfWork, actor: Actor, session_id: int) -> AgentSession:
    """A session the actor may stop: theirs, or one of a tenant they manage (admins: all);
    a member who only watches a shared one is refused."""
    session = _visible_session(uow, actor, session_id)
    project = uow.projects.get(session.project_id)
    if may_act_for(actor, session.user_id) or (
        project is not None and actor.may(Permission.MANAGE, project.tenant_id)
    ):
        return session
    raise PermissionDenied("only the session's user or the tenant's owners may stop it")


class ListSessions:
    """The live sessions the actor may see, their status read from tmux (one call per
    server); records whose window has gone are marked exited on the way."""

    def __init__(self, *, uow: UnitOfWorkFactory, refresh: RefreshSessions) -> None:
        self._uow = uow
        self._refresh = refresh

    def __call__(self, actor: Actor = SYSTEM, project_id: int | None = None) -> list[SessionView]:
        with self._uow(read_only=True) as uow:
            sessions = [
                s
                for s in uow.agent_sessions.list(project_id=project_id, live=True)
                if _may_see(uow, actor, s)
            ]
        return self._refresh(sessions)


class StopSession:
    def __init__(
        self, *, uow: UnitOfWorkFactory, tmux: TmuxSessions, linux_users: LinuxUsers, clock: Clock
    ) -> None:
        self._uow = uow
        self._tmux = tmux
        self._linux_users = linux_users
        self._clock = clock

    def __call__(self, session_id: int, actor: Actor = SYSTEM) -> AgentSession:
        with self._uow(read_only=True) as uow:
            session = _controlled_session(uow, actor, session_id)
        server = _server(self._linux_users, session)
        if server is not None:  # else its account is gone, and its window with it for aiops
            self._tmux.kill_window(server, session.tmux_session, session.tmux_window)
        stopped = ended(session, self._clock.now())
        with self._uow() as uow:
            uow.agent_sessions.update(stopped)
            if (transition := pane_transition(session, stopped)) is not None:
                uow.agent_events.add(transition)
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="session.stopped",
                target=f"session:{session_id}",
                window=session.target,
            )
            uow.commit()
        return stopped


class ReconcileSessions:
    """At server start: every recorded live session checked against its tmux server. Live
    ones are adopted (their status refreshed), vanished ones marked exited."""

    def __init__(self, *, uow: UnitOfWorkFactory, refresh: RefreshSessions) -> None:
        self._uow = uow
        self._refresh = refresh

    def __call__(self) -> tuple[int, int]:
        """(adopted, exited)."""
        with self._uow(read_only=True) as uow:
            sessions = list(uow.agent_sessions.list(live=True))
        views = self._refresh(sessions)
        exited = sum(1 for view in views if view.status is AgentStatus.EXITED)
        return len(views) - exited, exited


@attrs.frozen(kw_only=True)
class ResyncReport:
    recreated: tuple[str, ...] = ()  # session:window targets started again
    pruned: tuple[str, ...] = ()  # tmux sessions of projects that no longer exist
    exited: tuple[str, ...] = ()  # records whose window could not be recreated
    dry_run: bool = False


class ResyncTmux:
    """Recreate the missing windows of recorded sessions and prune `-p<ID>` sessions whose
    project is gone, on every tmux server aiops has used. With dry_run, only say what it
    would do."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        tmux: TmuxSessions,
        linux_users: LinuxUsers,
        clock: Clock,
        launch: LaunchSession,
    ) -> None:
        self._uow = uow
        self._tmux = tmux
        self._linux_users = linux_users
        self._clock = clock
        self._launch = launch

    def __call__(self, *, dry_run: bool = False, actor: Actor = SYSTEM) -> ResyncReport:
        actor.require_admin()
        with self._uow(read_only=True) as uow:
            recorded = list(uow.agent_sessions.list())
            projects = {p.id for p in uow.projects.list() if p.id is not None}
            users = {u.id: u for u in uow.users.list()}
        missing, orphans = plan_resync(
            recorded, look(self._tmux, self._linux_users, recorded), projects
        )
        pruned = tuple(name for names in orphans.values() for name in names)
        if dry_run:
            recreated = tuple(s.target for s in missing)
            return ResyncReport(recreated=recreated, pruned=pruned, dry_run=True)
        recreated, failed = self._recreate(missing, users, actor)
        for server, names in orphans.items():
            self._tmux.kill_sessions(server, names)
        report = ResyncReport(recreated=recreated, pruned=pruned, exited=failed)
        self._audit(report, actor)
        return report

    def _recreate(
        self, missing: Sequence[AgentSession], users: Mapping[int | None, User], actor: Actor
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Launch each again as its user (through the user's account now); (recreated, ended)."""
        recreated: list[str] = []
        failed: list[str] = []
        for session in missing:
            user = users.get(session.user_id)
            try:
                if user is None:
                    raise NotFound(f"user {session.user_id} does not exist")
                self._launch(relaunch(session, user, actor))
                recreated.append(session.target)
            except (NotFound, PermissionDenied, SessionRefused):
                failed.append(session.target)
                self._end(session)
        return tuple(recreated), tuple(failed)

    def _audit(self, report: ResyncReport, actor: Actor) -> None:
        """Only a real resync is recorded: a dry run changes nothing."""
        with self._uow() as uow:
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="tmux.resynced",
                target="tmux",
                recreated=len(report.recreated),
                pruned=len(report.pruned),
                exited=len(report.exited),
            )
            uow.commit()

    def _end(self, session: AgentSession) -> None:
        with self._uow() as uow:
            uow.agent_sessions.update(ended(session, self._clock.now()))
            uow.commit()


def relaunch(session: AgentSession, user: User, actor: Actor) -> LaunchSessionCommand:
    """The launch that starts a recorded session's window again, as its user."""
    return LaunchSessionCommand(
        project_id=session.project_id,
        tool=session.tool.value,
        user_email=user.email,
        issue_id=session.issue_id,
        actor=actor,
    )


class ViewSession:
    """One session the actor may see, its status, and what its pane shows now (read-only)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        tmux: TmuxSessions,
        linux_users: LinuxUsers,
        refresh: RefreshSessions,
    ) -> None:
        self._uow = uow
        self._tmux = tmux
        self._linux_users = linux_users
        self._refresh = refresh

    def __call__(self, session_id: int, actor: Actor = SYSTEM) -> tuple[SessionView, str]:
        with self._uow(read_only=True) as uow:
            session = _visible_session(uow, actor, session_id)
        [view] = self._refresh([session])
        server = _server(self._linux_users, session)
        if view.status is AgentStatus.EXITED or server is None:
            return view, ""
        pane = self._tmux.capture(server, session.tmux_session, session.tmux_window)
        return view, pane
