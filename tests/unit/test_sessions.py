"""Session use cases against the in-memory tmux, Linux users and git fakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any

import attrs
import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import NotFound, PermissionDenied
from aiops.domain.model.access import Actor
from aiops.domain.model.accounts import AccountTaken
from aiops.domain.model.sessions import AgentStatus, SessionRefused, Tool
from aiops.domain.model.trackers import IssueState, Provider
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.sessions import (
    LaunchSession,
    LaunchSessionCommand,
    ListSessions,
    ReconcileSessions,
    RefreshSessions,
    ResyncTmux,
    SessionPolicy,
    StopSession,
    ViewSession,
    tool_specs,
)
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.ports.tmux import TmuxWindow
from aiops.ports.unit_of_work import UnitOfWork
from tests.fakes import (
    FakeClock,
    FakeGitWorkspaces,
    FakeLinuxUsers,
    FakeSecretBox,
    FakeTmuxSessions,
    FakeUnitOfWork,
)
from tests.fakes.agent_status import FakeAgentHooks, FakeSessionTokens
from tests.integration.test_tracker_repositories import remote

URL = "/srv/git/web.git"
IVO, VERA, OWNER = "ivo@example.com", "vera@example.com", "olga@example.com"
SOCKET = "/tmp/tmux-1000/default"


class World:
    def __init__(
        self, *, tools: str = "codex,gemini,claude,shell", strategy: str = "mapping"
    ) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.tmux = FakeTmuxSessions(self.clock)
        self.users = FakeLinuxUsers("ivan", "vera")
        self.context: list[tuple[str | None, int]] = []
        workspaces = WorkspacePolicy(
            root=PurePosixPath("/home"),
            linux_user_strategy=strategy,
            linux_user_mapping={IVO: "ivan", VERA: "vera"},
        )
        app: Container = bootstrap(
            workspace_policy=workspaces,
            uow=self.uow,
            clock=self.clock,
            git_workspaces=FakeGitWorkspaces({URL: {"main": ["c1"]}}),
            linux_users=self.users,
            secret_box=FakeSecretBox(),
        )
        self.app = app
        app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        app.create_tenant()(CreateTenantCommand(slug="other", name="Other"))
        web = app.create_project()(
            CreateProjectCommand(tenant="acme", slug="web", name="Web", repo_url=URL)
        )
        assert web.id is not None
        self.web = web.id
        for email, role in ((IVO, "member"), (VERA, "viewer"), (OWNER, "owner")):
            app.create_user()(CreateUserCommand(email=email, name=email.split("@")[0]))
            app.add_member()(AddMemberCommand(tenant="acme", email=email, role=role))
        connection = app.add_tracker()(
            AddTrackerCommand(project_id=self.web, provider="github",
                              base_url="https://api.github.com", key="acme/web", token="t")
        )  # fmt: skip
        self.issue = self._issue(connection.id or 0)
        policy = SessionPolicy(
            tools=tool_specs(tools.split(","), {}),
            workspace=workspaces,
            host="aiops.example.com",
            event_socket="/run/aiops/events.sock",
            url="http://127.0.0.1:8000",
        )
        self.tokens = FakeSessionTokens()
        self.hooks = FakeAgentHooks()
        tmux = {"uow": self.uow, "tmux": self.tmux, "linux_users": self.users}
        self.launch = LaunchSession(
            **tmux,
            clock=self.clock,
            policy=policy,
            init_workspace=app.init_workspace(),
            context=lambda cmd: self.context.append((cmd.user_email, cmd.issue_id)),
            credentials=lambda user_id, tool, account: (
                {"CLAUDE_CODE_OAUTH_TOKEN": "canary-key"} if tool is Tool.CLAUDE else {}
            ),
            tokens=self.tokens,
            hooks=self.hooks,
        )
        refresh = RefreshSessions(**tmux, clock=self.clock, policy=policy)
        self.list = ListSessions(uow=self.uow, refresh=refresh)
        self.view = ViewSession(**tmux, refresh=refresh)
        self.stop = StopSession(**tmux, clock=self.clock)
        self.reconcile = ReconcileSessions(uow=self.uow, refresh=refresh)
        self.resync = ResyncTmux(**tmux, clock=self.clock, launch=self.launch)

    def _issue(self, connection_id: int) -> int:
        from aiops.domain.model.trackers import Issue

        with self.uow as uow:
            uow.issues.add_many(
                [Issue(connection_id=connection_id, project_id=self.web,
                       provider=Provider.GITHUB, remote=remote(7, state=IssueState.OPEN))]
            )  # fmt: skip
            uow.commit()
            [issue] = uow.issues.for_connection(connection_id).values()
        assert issue.id is not None
        return issue.id

    def actor(self, email: str) -> Actor:
        with self.uow as uow:
            user = uow.users.get_by_email(email)
            assert user is not None
            return actor_for(uow, user)

    def cmd(self, email: str = IVO, tool: str = "codex", **kw: object) -> LaunchSessionCommand:
        return LaunchSessionCommand(
            project_id=self.web,
            tool=tool,
            actor=self.actor(email),
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture
def world() -> World:
    return World()


def audit_actions(uow: UnitOfWork) -> list[str]:
    with uow:
        from aiops.ports.unit_of_work import AuditQuery

        return [e.action for e in uow.audit.list(AuditQuery())]


def test_launch_starts_the_tool_in_the_projects_session_as_the_users_account(
    world: World,
) -> None:
    result = world.launch(world.cmd(tool="claude", issue_id=world.issue))

    [spec] = world.tmux.launched
    assert result.created
    assert (spec.socket, spec.session, spec.window) == (SOCKET, f"web-p{world.web}",
                                                        f"ivo-claude-i{world.issue}")  # fmt: skip
    assert spec.account.name == "ivan"
    assert spec.cwd == "/home/ivan/workspace/web"
    assert spec.argv == ("claude",)
    assert spec.env == {
        "CLAUDE_CONFIG_DIR": "/home/ivan/.claude",
        "AIOPS_SESSION_ID": str(result.session.id),
        "AIOPS_EVENT_SOCKET": "/run/aiops/events.sock",
        "AIOPS_URL": "http://127.0.0.1:8000",
    }
    assert spec.secret_env == {
        "CLAUDE_CODE_OAUTH_TOKEN": "canary-key",
        "AIOPS_SESSION_TOKEN": f"token-{result.session.id}-ivan",
    }
    assert world.hooks.installed == [(Tool.CLAUDE, "ivan", "/home/ivan/.claude")]
    assert world.context == [(IVO, world.issue)]
    assert result.session.linux_user == "ivan"
    assert result.session.status is AgentStatus.WORKING
    assert "session.launched" in audit_actions(world.uow)
    assert "canary-key" not in repr(world.uow.committed.audit) + repr(result)


def test_relaunching_focuses_the_window_instead_of_starting_another(world: World) -> None:
    first = world.launch(world.cmd())
    again = world.launch(world.cmd())

    assert not again.created
    assert again.session.id == first.session.id
    assert len(world.tmux.launched) == 1
    assert world.tmux.focused == [first.session.target]
    assert len(world.uow.committed.agent_sessions) == 1


def test_a_window_that_vanished_is_started_again_and_the_old_record_ends(world: World) -> None:
    first = world.launch(world.cmd())
    world.tmux.drop(SOCKET, first.session.tmux_session, first.session.tmux_window)

    again = world.launch(world.cmd())

    assert again.created
    assert again.session.id != first.session.id
    old = world.uow.committed.agent_sessions[first.session.id or 0]
    assert old.status is AgentStatus.EXITED
    assert old.ended_at == world.clock.now()


@pytest.mark.parametrize(
    ("email", "tool", "error", "message"),
    [
        (OWNER, "codex", SessionRefused, "has no Linux account"),
        (IVO, "vim", Exception, "is not one of codex"),
        (VERA, "codex", PermissionDenied, "."),  # a viewer may look, not launch
    ],
)
def test_refusals_launch_nothing_and_record_nothing(
    world: World, email: str, tool: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        world.launch(world.cmd(email=email, tool=tool))

    assert world.tmux.launched == []
    assert world.uow.committed.agent_sessions == {}


def test_a_mapped_account_that_does_not_exist_is_refused(world: World) -> None:
    del world.users.accounts["ivan"]

    with pytest.raises(SessionRefused, match="'ivan' does not exist"):
        world.launch(world.cmd())


def test_the_mapping_wins_over_the_users_linux_username(world: World) -> None:
    with world.uow as uow:
        ivo = uow.users.get_by_email(IVO)
        assert ivo is not None
        uow.users.update(attrs.evolve(ivo, linux_username="ivo_own"))
        uow.commit()
    world.users.add("ivo_own", 1500)

    result = world.launch(world.cmd())

    assert result.session.linux_user == "ivan"
    assert [spec.cwd for spec in world.tmux.launched] == ["/home/ivan/workspace/web"]


@pytest.mark.parametrize(
    ("name", "uid", "why"),
    [
        ("postgres", 114, "postgres is a system account (uid 114 < UID_MIN 1000)"),
        ("root", 0, "root is root (uid 0): aiops never acts as root"),
        ("nobody", 65534, "nobody is on the deny list (AIOPS_LINUX_USER_DENY)"),
    ],
)
def test_with_strategy_direct_a_system_account_is_refused_saying_why(
    name: str, uid: int, why: str
) -> None:
    world = World(strategy="direct")
    world.users.add(name, uid)
    email = f"{name}@example.com"
    world.app.create_user()(CreateUserCommand(email=email, name=name))
    world.app.add_member()(AddMemberCommand(tenant="acme", email=email, role="member"))

    with pytest.raises(SessionRefused) as refused:
        world.launch(world.cmd(email=email))

    assert refused.value.message == f"{email} may not run sessions: {why}"
    assert world.tmux.launched == []
    assert world.uow.committed.agent_sessions == {}


def test_an_account_another_user_is_mapped_to_runs_no_session(world: World) -> None:
    """A mapping edited after the users were made: max's own linux_username is ivo's mapped
    account. Neither may launch as it until an admin sorts it out."""
    with world.uow as uow:
        uow.users.add(
            User(email="max@example.com", name="Max", username="max", linux_username="ivan")
        )
        uow.commit()

    with pytest.raises(AccountTaken, match=r"'ivan' is already max@example\.com's"):
        world.launch(world.cmd())

    assert world.tmux.launched == []


def test_a_tool_left_out_of_the_allowlist_is_refused() -> None:
    world = World(tools="codex,shell")

    with pytest.raises(SessionRefused, match="gemini is not enabled here"):
        world.launch(world.cmd(tool="gemini"))


def test_nobody_launches_as_someone_else_unless_admin(world: World) -> None:
    with pytest.raises(PermissionDenied, match="only launch sessions as yourself"):
        world.launch(world.cmd(email=VERA, user_email=IVO))


def test_an_issue_of_another_project_is_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="issue 999 does not exist"):
        world.launch(world.cmd(issue_id=999))


def test_listing_asks_each_server_once_and_derives_status_from_the_pane(world: World) -> None:
    codex = world.launch(world.cmd()).session
    shell = world.launch(world.cmd(tool="shell")).session
    now = world.clock.now()
    world.tmux.set(SOCKET, codex.tmux_session, codex.tmux_window,
                   foreground="node", last_activity=now - timedelta(minutes=2))  # fmt: skip
    world.tmux.set(SOCKET, shell.tmux_session, shell.tmux_window,
                   foreground="bash", last_activity=now)  # fmt: skip
    world.tmux.servers_asked = 0

    views = world.list(world.actor(IVO))

    assert world.tmux.servers_asked == 1
    assert [(v.session.tool, v.status) for v in views] == [
        (Tool.CODEX, AgentStatus.WAITING),
        (Tool.SHELL, AgentStatus.WORKING),
    ]
    assert views[0].attach == (
        f"ssh aiops.example.com -t tmux -S {SOCKET} attach -t web-p{world.web}:ivo-codex"
    )


def test_a_vanished_window_is_listed_once_as_exited_then_no_longer(world: World) -> None:
    codex = world.launch(world.cmd()).session
    world.tmux.drop(SOCKET, codex.tmux_session)

    first = world.list(world.actor(IVO))
    later = world.list(world.actor(IVO))

    assert [v.status for v in first] == [AgentStatus.EXITED]
    assert later == []


def test_others_see_only_what_they_may(world: World) -> None:
    world.launch(world.cmd())

    assert world.list(world.actor(VERA)) == []  # another member's session
    assert len(world.list(world.actor(OWNER))) == 1  # the tenant's owner sees it


def test_stop_kills_the_window_and_ends_the_record(world: World) -> None:
    session = world.launch(world.cmd()).session
    assert session.id is not None

    with pytest.raises(NotFound):
        world.stop(session.id, world.actor(VERA))
    stopped = world.stop(session.id, world.actor(IVO))

    assert stopped.status is AgentStatus.EXITED
    assert world.tmux.servers[SOCKET] == {}
    assert "session.stopped" in audit_actions(world.uow)


def test_reconcile_adopts_live_sessions_and_ends_vanished_ones(world: World) -> None:
    world.launch(world.cmd())
    gone = world.launch(world.cmd(tool="shell")).session
    world.tmux.drop(SOCKET, gone.tmux_session, gone.tmux_window)

    adopted, exited = world.reconcile()

    assert (adopted, exited) == (1, 1)
    assert world.uow.committed.agent_sessions[gone.id or 0].status is AgentStatus.EXITED


def test_resync_recreates_missing_windows_and_prunes_orphan_sessions(world: World) -> None:
    session = world.launch(world.cmd()).session
    world.tmux.drop(SOCKET, session.tmux_session)
    for name in ("gone-p999", "scratch"):  # a deleted project's session; one not aiops's
        world.tmux.servers[SOCKET][name] = {
            "x": TmuxWindow(socket=SOCKET, session=name, window="x")
        }
    resync = world.resync

    planned = resync(dry_run=True)
    assert planned.recreated == (session.target,)
    assert planned.pruned == ("gone-p999",)
    assert "gone-p999" in world.tmux.servers[SOCKET]

    done = resync()

    assert done.recreated == (session.target,)
    assert done.pruned == ("gone-p999",)
    assert set(world.tmux.servers[SOCKET]) == {session.tmux_session, "scratch"}
    assert session.tmux_window in world.tmux.servers[SOCKET][session.tmux_session]


def test_view_shows_the_pane_to_those_who_may_see_the_session(world: World) -> None:
    session = world.launch(world.cmd()).session
    view = world.view

    shown, pane = view(session.id or 0, world.actor(IVO))

    assert shown.session.id == session.id
    assert pane == f"codex running in {session.target}\n"
    with pytest.raises(NotFound):
        view(session.id or 0, world.actor(VERA))


def test_every_tmux_call_is_made_as_the_sessions_account(world: World) -> None:
    codex = world.launch(world.cmd()).session
    world.list(world.actor(IVO))
    world.view(codex.id or 0, world.actor(IVO))
    world.reconcile()
    world.resync(dry_run=False)
    world.stop(codex.id or 0, world.actor(IVO))

    assert world.tmux.clients == {(SOCKET, "ivan")}


def test_a_session_whose_account_is_gone_is_exited_and_its_server_left_alone(
    world: World,
) -> None:
    codex = world.launch(world.cmd()).session
    shell = world.launch(world.cmd(tool="shell")).session
    world.tmux.clients.clear()
    del world.users.accounts["ivan"]

    views = world.list(world.actor(IVO))
    stopped = world.stop(shell.id or 0, world.actor(IVO))

    assert [v.status for v in views] == [AgentStatus.EXITED, AgentStatus.EXITED]
    assert stopped.status is AgentStatus.EXITED
    assert world.tmux.clients == set()  # nobody talked to ivan's server, as anyone
    assert set(world.tmux.servers[SOCKET][codex.tmux_session]) == {
        codex.tmux_window,
        shell.tmux_window,
    }


def test_a_session_whose_account_the_launcher_refuses_now_is_exited(world: World) -> None:
    session = world.launch(world.cmd()).session
    world.tmux.refused.add("ivan")

    [view] = world.list(world.actor(IVO))
    adopted, exited = world.reconcile()

    assert view.status is AgentStatus.EXITED
    assert world.uow.committed.agent_sessions[session.id or 0].ended_at is not None
    assert (adopted, exited) == (0, 0)  # nothing live is left to reconcile
    assert session.tmux_window in world.tmux.servers[SOCKET][session.tmux_session]


def test_a_session_whose_account_is_denied_since_is_exited_and_never_acted_on(
    world: World,
) -> None:
    session = world.launch(world.cmd()).session
    world.users.deny = frozenset({"ivan"})  # an admin put the account on AIOPS_LINUX_USER_DENY
    world.tmux.clients.clear()

    [view] = world.list(world.actor(IVO))

    assert view.status is AgentStatus.EXITED
    assert world.uow.committed.agent_sessions[session.id or 0].ended_at is not None
    assert world.tmux.clients == set()  # no tmux call as anyone


def test_a_server_that_cannot_be_read_leaves_its_sessions_as_recorded(world: World) -> None:
    session = world.launch(world.cmd()).session
    world.tmux.drop(SOCKET, session.tmux_session)
    world.tmux.unreadable.add(SOCKET)
    resync = world.resync

    [view] = world.list(world.actor(IVO))
    report = resync()

    assert view.status is AgentStatus.WORKING
    assert world.uow.committed.agent_sessions[session.id or 0].ended_at is None
    assert report.recreated == ()  # its window may be there: nothing is started twice
    assert len(world.tmux.launched) == 1


def test_a_launch_that_tmux_refuses_leaves_no_record(world: World) -> None:
    world.tmux.refused.add("ivan")

    with pytest.raises(SessionRefused):
        world.launch(world.cmd())

    assert world.uow.committed.agent_sessions == {}
    assert world.tokens.issued  # the record existed (its id went into the env) and was forgotten


def test_a_hook_configuration_that_cannot_be_written_fails_the_launch_without_a_record(
    world: World,
) -> None:
    world.launch._hooks = FakeAgentHooks(broken=True)

    with pytest.raises(SessionRefused, match="not JSON"):
        world.launch(world.cmd(tool="claude"))

    assert world.uow.committed.agent_sessions == {}
    assert world.tmux.launched == []


def test_a_focused_window_keeps_its_first_record_and_token(world: World) -> None:
    first = world.launch(world.cmd())
    again = world.launch(world.cmd())

    assert again.session.id == first.session.id
    assert list(world.uow.committed.agent_sessions) == [first.session.id]
    [spec] = world.tmux.launched
    assert spec.secret_env["AIOPS_SESSION_TOKEN"] == f"token-{first.session.id}-ivan"


def test_a_shell_gets_its_session_env_but_no_hooks(world: World) -> None:
    result = world.launch(world.cmd(tool="shell"))

    [spec] = world.tmux.launched
    assert spec.env["AIOPS_SESSION_ID"] == str(result.session.id)
    assert world.hooks.installed == []


def test_pane_transitions_are_stored_in_the_history(world: World) -> None:
    launched = world.launch(world.cmd())
    world.clock.advance(seconds=10)

    [view] = world.list(world.actor(IVO))

    assert view.status is AgentStatus.WAITING
    assert view.session.status_since == world.clock.now()
    with world.uow as uow:
        [event] = uow.agent_events.list(launched.session.id or 0)
    assert (event.event, event.status, event.source.value) == ("pane", AgentStatus.WAITING, "pane")


def test_the_pane_never_overrides_a_hook_status_while_the_tool_is_in_front(world: World) -> None:
    from aiops.domain.model.sessions import StatusSource

    launched = world.launch(world.cmd())
    hooked = attrs.evolve(
        launched.session, status=AgentStatus.FINISHED, status_source=StatusSource.HOOK
    )
    with world.uow as uow:
        uow.agent_sessions.update(hooked)
        uow.commit()
    world.clock.advance(seconds=10)

    [view] = world.list(world.actor(IVO))
    assert (view.status, view.session.status_source) == (AgentStatus.FINISHED, StatusSource.HOOK)

    window = launched.session
    world.tmux.set(SOCKET, window.tmux_session, window.tmux_window, foreground="bash")
    [view] = world.list(world.actor(IVO))
    assert (view.status, view.session.status_source) == (AgentStatus.IDLE, StatusSource.PANE)


def test_stopping_a_session_records_its_exit_in_the_history(world: World) -> None:
    launched = world.launch(world.cmd())
    world.clock.advance(seconds=1)

    world.stop(launched.session.id or 0, world.actor(IVO))

    with world.uow as uow:
        [event] = uow.agent_events.list(launched.session.id or 0)
        stopped = uow.agent_sessions.get(launched.session.id or 0)
    assert event.status is AgentStatus.EXITED
    assert stopped is not None
    assert stopped.status_since == world.clock.now()


def test_a_hook_event_that_lands_while_tmux_is_read_is_not_overwritten(world: World) -> None:
    from aiops.domain.model.sessions import StatusSource

    launched = world.launch(world.cmd())
    world.clock.advance(seconds=10)  # the pane alone would now say waiting
    real_windows = world.tmux.windows

    def windows_while_a_hook_lands(servers: Any) -> Any:
        with world.uow as uow:  # the hook's transaction commits meanwhile
            hooked = attrs.evolve(
                launched.session,
                status=AgentStatus.FINISHED,
                status_source=StatusSource.HOOK,
                status_since=world.clock.now(),
            )
            uow.agent_sessions.update(hooked)
            uow.commit()
        return real_windows(servers)

    world.tmux.windows = windows_while_a_hook_lands  # type: ignore[method-assign]

    [view] = world.list(world.actor(IVO))

    stored = world.uow.committed.agent_sessions[launched.session.id or 0]
    assert (stored.status, stored.status_source) == (AgentStatus.FINISHED, StatusSource.HOOK)
    assert view.status is AgentStatus.FINISHED
