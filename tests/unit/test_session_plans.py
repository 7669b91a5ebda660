"""The pure decisions of a launch: which window, in which environment, and what happens to the
records of that window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from aiops.domain.model.projects import Project
from aiops.domain.model.sessions import DEFAULT_TOOLS, AgentSession, AgentStatus, Tool
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases.sessions import SessionPolicy, plan_record, plan_window, recorded
from aiops.ports.linux_users import LinuxAccount

T0 = datetime(2026, 1, 1, tzinfo=UTC)

times = st.integers(min_value=0, max_value=10**6).map(lambda s: T0 + timedelta(seconds=s))


@st.composite
def sessions(draw: st.DrawFn) -> AgentSession:
    """Records on few sockets, sessions and windows, so that some share a window."""
    ended_at = draw(st.none() | times)
    return AgentSession(
        id=draw(st.integers(min_value=1, max_value=10**6)),
        user_id=draw(st.integers(min_value=1, max_value=5)),
        project_id=draw(st.integers(min_value=1, max_value=5)),
        tool=draw(st.sampled_from(Tool)),
        linux_user=draw(st.sampled_from(["ivan", "vera"])),
        tmux_socket=draw(st.sampled_from(["/tmp/tmux-1000/default", "/tmp/tmux-1001/default"])),
        tmux_session=draw(st.sampled_from(["web-p1", "api-p2"])),
        tmux_window=draw(st.sampled_from(["ivo-codex", "ivo-shell"])),
        status=AgentStatus.EXITED if ended_at else draw(st.sampled_from(AgentStatus)),
        started_at=T0,
        ended_at=ended_at,
    )


@given(known=st.none() | sessions(), created=st.booleans(), now=times)
def test_a_launch_reuses_a_running_windows_record_and_ends_a_vanished_ones(
    known: AgentSession | None, created: bool, now: datetime
) -> None:
    plan = plan_record(known, created=created, now=now)

    assert plan.reuse == (known if known is not None and not created else None)
    if known is not None and created:
        assert plan.end is not None
        assert plan.end.id == known.id
        assert plan.end.status is AgentStatus.EXITED
        assert plan.end.ended_at == (known.ended_at or now)
    else:
        assert plan.end is None


@given(live=st.lists(sessions(), max_size=6), fresh=sessions())
def test_the_record_of_a_window_is_the_first_live_one_in_the_same_place(
    live: list[AgentSession], fresh: AgentSession
) -> None:
    def place(s: AgentSession) -> tuple[str, str, str]:
        return s.tmux_socket, s.tmux_session, s.tmux_window

    found = recorded(live, fresh)

    same = [s for s in live if place(s) == place(fresh)]
    assert found == (same[0] if same else None)


accounts = st.builds(
    LinuxAccount,
    name=st.sampled_from(["ivan", "vera"]),
    uid=st.integers(min_value=1000, max_value=60000),
    gid=st.integers(min_value=1000, max_value=60000),
    home=st.sampled_from(["/home/ivan", "/srv/home/vera"]),
)


@given(
    tool=st.sampled_from(Tool),
    account=accounts,
    login_shell=st.booleans(),
    secret=st.dictionaries(st.sampled_from(["CLAUDE_CODE_OAUTH_TOKEN", "X_KEY"]), st.text()),
)
def test_a_window_runs_the_tool_on_the_accounts_own_server_with_its_config_folder(
    tool: Tool, account: LinuxAccount, login_shell: bool, secret: dict[str, str]
) -> None:
    spec = DEFAULT_TOOLS[tool]
    policy = SessionPolicy(
        tools=DEFAULT_TOOLS,
        workspace=WorkspacePolicy(root=PurePosixPath("/home")),
        tmux_tmpdir="/run/tmux/",
        login_shell=login_shell,
    )
    project = Project(id=7, tenant_id=1, slug="web", name="Web")

    window = plan_window(
        policy,
        spec,
        project=project,
        window="ivo-x",
        account=account,
        cwd="/w",
        secret_env=secret,
    )

    assert window.socket == f"/run/tmux/tmux-{account.uid}/default"
    assert (window.session, window.account, window.argv) == ("web-p7", account, spec.argv)
    assert window.login_shell is login_shell
    assert window.secret_env == secret
    folder = f"{account.home}/{spec.config_dir}"
    config = dict.fromkeys(spec.config_env, folder) if spec.config_dir else {}
    assert window.env == {**spec.env, **config}
