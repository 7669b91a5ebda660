"""The composition root: settings -> core -> gateways -> use cases.

Nothing else builds adapters or use cases. Three containers, as the dependency-injector
examples split them: `Core` (container/core.py: settings, the database, the clock, secrets,
the policies), `Gateways` (container/gateways.py: every adapter that reaches outside the
process) and `Container`, the use cases wired over the two. Library use, with any port
replaceable:

    from aiops import bootstrap
    from aiops.domain.usecases.tenants import CreateTenantCommand

    aiops = bootstrap()                                  # or bootstrap(settings, clock=FakeClock())
    aiops.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    aiops.shutdown_resources()                           # disposes the database engine

Use cases receive `uow.provider`: a factory that opens a fresh unit of work per call, so one
use-case instance is safe to share between threads. Every name is imported on first use
(container/_lazy.py), so building a container imports no adapter and no use case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiops.container._lazy import import_dependency_injector, modules

import_dependency_injector()

from dependency_injector import containers, providers  # noqa: E402 - after the hiding above

from aiops.config import Settings  # noqa: E402
from aiops.container.core import Core, runner_owner  # noqa: E402
from aiops.container.gateways import Gateways, launcher_programs  # noqa: E402

if TYPE_CHECKING:
    from aiops.domain.usecases import (
        _workspace,
        agent_context,
        audit,
        auth,
        automation,
        cli_tools,
        credentials,
        identities,
        jobs,
        lost_runs,
        memberships,
        notifications,
        oidc,
        projects,
        secrets,
        seed,
        sessions,
        sign_in_links,
        tenants,
        trackers,
        triage,
        users,
        webhooks,
        workspaces,
    )
    from aiops.domain.usecases import agent_events as agent_event_cases
    from aiops.domain.usecases import issue_work as issue_work_cases
    from aiops.domain.usecases import job_handlers as handlers
    from aiops.domain.usecases import pull_request_board as pr_board_cases
    from aiops.domain.usecases import pull_requests as pull_cases
    from aiops.domain.usecases import session_board as board_cases
    from aiops.domain.usecases import sync_issues as syncing
    from aiops.domain.usecases import terminals as terminal_cases
    from aiops.domain.usecases import worktrees as worktree_cases
else:
    (
        _workspace,
        agent_context,
        audit,
        auth,
        automation,
        cli_tools,
        credentials,
        identities,
        jobs,
        lost_runs,
        memberships,
        notifications,
        oidc,
        projects,
        secrets,
        seed,
        sessions,
        sign_in_links,
        tenants,
        trackers,
        triage,
        users,
        webhooks,
        workspaces,
    ) = modules(
        "aiops.domain.usecases",
        "_workspace",
        "agent_context",
        "audit",
        "auth",
        "automation",
        "cli_tools",
        "credentials",
        "identities",
        "jobs",
        "lost_runs",
        "memberships",
        "notifications",
        "oidc",
        "projects",
        "secrets",
        "seed",
        "sessions",
        "sign_in_links",
        "tenants",
        "trackers",
        "triage",
        "users",
        "webhooks",
        "workspaces",
    )
    (syncing,) = modules("aiops.domain.usecases", "sync_issues")
    (handlers,) = modules("aiops.domain.usecases", "job_handlers")
    (worktree_cases,) = modules("aiops.domain.usecases", "worktrees")
    (terminal_cases,) = modules("aiops.domain.usecases", "terminals")
    (agent_event_cases,) = modules("aiops.domain.usecases", "agent_events")
    (board_cases,) = modules("aiops.domain.usecases", "session_board")
    (pr_board_cases,) = modules("aiops.domain.usecases", "pull_request_board")
    (issue_work_cases,) = modules("aiops.domain.usecases", "issue_work")
    (pull_cases,) = modules("aiops.domain.usecases", "pull_requests")

__all__ = ["Container", "Core", "Gateways", "bootstrap", "launcher_programs", "runner_owner"]


def _delivery_policy(settings: Settings) -> notifications.DeliveryPolicy:
    return notifications.DeliveryPolicy(
        max_attempts=settings.notify_max_attempts,
        per_minute=settings.notify_per_minute,
        base_url=str(getattr(settings, "url", "") or ""),  # AIOPS_URL (helper "status")
    )


def _oidc_policy(settings: Settings) -> oidc.OidcPolicy:
    return oidc.OidcPolicy(
        auto_create=settings.oidc_auto_create,
        grants=settings.oidc_grants,
        required_groups=settings.oidc_required_group_set,
    )


def _provider_names(settings: Settings) -> tuple[str, ...]:
    return tuple(provider.name for provider in settings.oidc_provider_list)


class Container(containers.DeclarativeContainer):
    """The use cases, each given the ports it uses from the core and the gateways."""

    core = providers.Container(Core)
    gateways = providers.Container(Gateways, core=core)

    # The core's ports by their short names: the library's and the entrypoints' way in.
    settings = core.settings
    engine = core.engine
    uow = core.uow
    clock = core.clock
    secret_key = core.secret_key
    secret_box = core.secret_box
    session_tokens = core.session_tokens
    hasher = core.hasher
    workspace_policy = core.workspace_policy
    session_policy = core.session_policy
    automation_policy = core.automation_policy
    runner_policy = core.runner_policy
    # A gateway the entrypoints use directly: the terminal's pty is theirs to relay.
    terminals = gateways.terminals
    oidc_client = gateways.oidc_client
    # What /metrics reads at each scrape.
    operation_counts = gateways.operation_counts
    # Where notices go (issue 18): the sink every source queues through, in its transaction
    notice_sink = gateways.notice_sink

    # Tenants, projects, users, sign-in
    create_tenant = providers.Factory(tenants.CreateTenant, uow=uow.provider, clock=clock)
    update_tenant = providers.Factory(tenants.UpdateTenant, uow=uow.provider, clock=clock)
    list_tenants = providers.Factory(tenants.ListTenants, uow=uow.provider)
    get_tenant = providers.Factory(tenants.GetTenant, uow=uow.provider)
    create_project = providers.Factory(
        projects.CreateProject,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        remote_hosts=gateways.remote_hosts,
    )
    update_project = providers.Factory(
        projects.UpdateProject,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        remote_hosts=gateways.remote_hosts,
    )
    list_projects = providers.Factory(projects.ListProjects, uow=uow.provider)
    get_project = providers.Factory(projects.GetProject, uow=uow.provider)
    create_user = providers.Factory(
        users.CreateUser, uow=uow.provider, clock=clock, policy=workspace_policy
    )
    set_password = providers.Factory(
        users.SetPassword, uow=uow.provider, clock=clock, hasher=hasher
    )
    list_users = providers.Factory(users.ListUsers, uow=uow.provider)
    add_member = providers.Factory(memberships.AddMember, uow=uow.provider, clock=clock)
    list_members = providers.Factory(memberships.ListMembers, uow=uow.provider)
    list_audit_events = providers.Factory(audit.ListAuditEvents, uow=uow.provider)
    data_version = providers.Factory(audit.DataVersion, uow=uow.provider)
    seed_defaults = providers.Factory(
        seed.SeedDefaults, uow=uow.provider, clock=clock, hasher=hasher, policy=workspace_policy
    )
    set_admin = providers.Factory(users.SetAdmin, uow=uow.provider, clock=clock)
    sign_in = providers.Singleton(
        auth.SignIn,
        uow=uow.provider,
        clock=clock,
        hasher=hasher,
        password_login=settings.provided.password_login,
    )
    # OpenID Connect sign-in and one-time sign-in links (issue 20)
    oidc_providers = settings.provided.oidc_provider_list
    oidc_policy = providers.Singleton(_oidc_policy, settings)
    sign_in_with_oidc = providers.Factory(
        oidc.SignInWithOidc,
        uow=uow.provider,
        clock=clock,
        policy=oidc_policy,
        workspaces=workspace_policy,
    )
    last_oidc_sign_ins = providers.Factory(
        oidc.LastOidcSignIns,
        uow=uow.provider,
        providers=providers.Callable(_provider_names, settings),
    )
    create_sign_in_link = providers.Factory(
        sign_in_links.CreateSignInLink, uow=uow.provider, clock=clock
    )
    redeem_sign_in_link = providers.Factory(
        sign_in_links.RedeemSignInLink, uow=uow.provider, clock=clock
    )
    load_viewer = providers.Factory(auth.LoadViewer, uow=uow.provider)
    sign_out = providers.Factory(auth.SignOut, uow=uow.provider, clock=clock)
    change_password = providers.Factory(
        auth.ChangePassword, uow=uow.provider, clock=clock, hasher=hasher
    )
    create_token = providers.Factory(auth.CreateToken, uow=uow.provider, clock=clock)
    list_tokens = providers.Factory(auth.ListTokens, uow=uow.provider)
    revoke_token = providers.Factory(auth.RevokeToken, uow=uow.provider, clock=clock)
    authenticate_token = providers.Factory(auth.AuthenticateToken, uow=uow.provider, clock=clock)
    # Trackers and issues
    add_tracker = providers.Factory(
        trackers.AddTracker, uow=uow.provider, clock=clock, secret_box=secret_box
    )
    list_trackers = providers.Factory(trackers.ListTrackers, uow=uow.provider)
    list_managed_trackers = providers.Factory(trackers.ListManagedTrackers, uow=uow.provider)
    replace_tracker_secrets = providers.Factory(
        trackers.ReplaceTrackerSecrets, uow=uow.provider, clock=clock, secret_box=secret_box
    )
    remove_tracker = providers.Factory(trackers.RemoveTracker, uow=uow.provider, clock=clock)
    verify_secret_key = providers.Factory(
        secrets.VerifySecretKey, uow=uow.provider, secret_box=secret_box
    )
    rotate_secret_key = providers.Factory(secrets.RotateSecretKey, uow=uow.provider, clock=clock)
    test_tracker = providers.Factory(
        trackers.TestTracker,
        uow=uow.provider,
        secret_box=secret_box,
        trackers=gateways.issue_trackers,
    )
    sync_issues = providers.Factory(
        syncing.SyncIssues,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        trackers=gateways.issue_trackers,
        headroom=gateways.rate_limit_headroom,
        notices=notice_sink,
        incident_labels=settings.provided.incident_label_list,
    )
    list_issues = providers.Factory(syncing.ListIssues, uow=uow.provider)
    search_issues = providers.Factory(
        triage.SearchIssues,
        uow=uow.provider,
        incident_labels=settings.provided.incident_label_list,
    )
    incident_counts = providers.Factory(
        triage.IncidentCounts,
        uow=uow.provider,
        incident_labels=settings.provided.incident_label_list,
    )
    triage_issues = providers.Factory(triage.TriageIssues, uow=uow.provider, clock=clock)
    receive_webhook = providers.Factory(
        webhooks.ReceiveWebhook, uow=uow.provider, clock=clock, secret_box=secret_box
    )
    # Workspaces, agent context, credentials
    locate_workspace = providers.Factory(
        _workspace.LocateWorkspace,
        uow=uow.provider,
        linux_users=gateways.linux_users,
        policy=workspace_policy,
        secret_box=secret_box,
    )
    init_workspace = providers.Factory(
        workspaces.InitWorkspace,
        locate=locate_workspace,
        git=gateways.git_workspaces,
        snapshots=gateways.workspace_snapshots,
        clock=clock,
        locks=gateways.workspace_locks,
        uow=uow.provider,
        transfers=gateways.transfer_progress,
    )
    workspace_status = providers.Factory(
        workspaces.GetWorkspaceStatus,
        locate=locate_workspace,
        git=gateways.git_workspaces,
        snapshots=gateways.workspace_snapshots,
        clock=clock,
        transfers=gateways.transfer_progress,
    )
    list_branches = providers.Factory(
        workspaces.ListBranches, locate=locate_workspace, git=gateways.git_workspaces
    )
    operate_workspace = providers.Factory(
        workspaces.OperateWorkspace,
        locate=locate_workspace,
        git=gateways.git_workspaces,
        snapshots=gateways.workspace_snapshots,
        clock=clock,
        locks=gateways.workspace_locks,
        uow=uow.provider,
        transfers=gateways.transfer_progress,
    )
    cancel_transfer = providers.Factory(
        workspaces.CancelTransfer, locate=locate_workspace, transfers=gateways.transfer_progress
    )
    read_transfer = providers.Factory(
        workspaces.ReadTransfer, locate=locate_workspace, transfers=gateways.transfer_progress
    )
    refresh_snapshot = providers.Factory(
        workspaces.RefreshSnapshot,
        locate=locate_workspace,
        git=gateways.git_workspaces,
        snapshots=gateways.workspace_snapshots,
        clock=clock,
        locks=gateways.workspace_locks,
        uow=uow.provider,
        worktrees=gateways.git_worktrees,
    )
    read_snapshots = providers.Factory(
        workspaces.ReadSnapshots, snapshots=gateways.workspace_snapshots, clock=clock
    )
    look_up_issue = providers.Factory(
        agent_context.LookUpIssue, uow=uow.provider, git=gateways.git_workspaces
    )
    edit_agent_context = providers.Factory(
        agent_context.EditAgentContext,
        files=gateways.agent_context_files,
        max_bytes=settings.provided.agent_context_max_bytes,
    )
    populate_agent_context = providers.Factory(
        agent_context.PopulateAgentContext,
        uow=uow.provider,
        files=gateways.agent_context_files,
        policy=workspace_policy,
        linux_users=gateways.linux_users,
        clock=clock,
        max_bytes=settings.provided.agent_context_max_bytes,
    )
    add_identity = providers.Factory(identities.AddIdentity, uow=uow.provider, clock=clock)
    list_identities = providers.Factory(identities.ListIdentities, uow=uow.provider)
    cli_tools_status = providers.Factory(cli_tools.CliToolsStatus, installer=gateways.cli_installer)
    install_cli_tool = providers.Factory(
        cli_tools.InstallCliTool,
        uow=uow.provider,
        clock=clock,
        installer=gateways.cli_installer,
        locks=gateways.cli_install_locks,
    )
    seed_identities = providers.Factory(
        identities.SeedIdentities, uow=uow.provider, clock=clock, keys=gateways.key_store
    )
    set_credentials = providers.Factory(
        credentials.SetCredentials,
        uow=uow.provider,
        clock=clock,
        store=gateways.credential_store,
        linux_users=gateways.linux_users,
        policy=workspace_policy,
    )
    list_credentials = providers.Factory(
        credentials.ListCredentials, uow=uow.provider, store=gateways.credential_store
    )
    mirror_credentials = providers.Factory(
        credentials.MirrorCredentials, store=gateways.credential_store
    )

    # AI sessions
    refresh_sessions = providers.Factory(
        sessions.RefreshSessions,
        uow=uow.provider,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        clock=clock,
        policy=session_policy,
    )
    # Worktrees: one per task (domain/usecases/worktrees.py)
    add_worktree = providers.Factory(
        worktree_cases.AddWorktree,
        uow=uow.provider,
        locate=locate_workspace,
        worktrees=gateways.git_worktrees,
        locks=gateways.workspace_locks,
        clock=clock,
        policy=workspace_policy,
        init_workspace=init_workspace,
        git=gateways.git_workspaces,
    )
    list_worktrees = providers.Factory(
        worktree_cases.ListWorktrees,
        uow=uow.provider,
        git=gateways.git_workspaces,
        worktrees=gateways.git_worktrees,
        linux_users=gateways.linux_users,
        policy=workspace_policy,
    )
    remove_worktree = providers.Factory(
        worktree_cases.RemoveWorktree,
        uow=uow.provider,
        locate=locate_workspace,
        worktrees=gateways.git_worktrees,
        locks=gateways.workspace_locks,
        clock=clock,
        policy=workspace_policy,
    )
    launch_session = providers.Factory(
        sessions.LaunchSession,
        uow=uow.provider,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        clock=clock,
        policy=session_policy,
        init_workspace=init_workspace,
        context=populate_agent_context,
        credentials=mirror_credentials,
        worktree=add_worktree,
        tokens=session_tokens,
        hooks=gateways.agent_hooks,
    )
    # From issue to merged pull request (issue 19): start work, open the PR, comment back,
    # sync its state, send its review to the agent; the loop's steps run by RunLoopSteps
    start_issue_work = providers.Factory(
        issue_work_cases.StartIssueWork, uow=uow.provider, clock=clock, launch=launch_session
    )
    loop_step_runner = providers.Factory(
        pull_cases.LoopStepRunner,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        code_hosts=gateways.code_hosts,
        comments=gateways.issue_comments,
        git=gateways.git_workspaces,
        worktrees=gateways.git_worktrees,
        locate=locate_workspace,
        locks=gateways.workspace_locks,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        launch=launch_session,
        populate=populate_agent_context,
    )
    open_pull_request = providers.Factory(
        pull_cases.OpenPullRequest, uow=uow.provider, clock=clock, runner=loop_step_runner
    )
    review_to_agent = providers.Factory(
        pull_cases.ReviewToAgent, uow=uow.provider, clock=clock, runner=loop_step_runner
    )
    list_pull_requests = providers.Factory(pull_cases.ListPullRequests, uow=uow.provider)
    sync_pull_requests = providers.Factory(
        pull_cases.SyncPullRequests,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        code_hosts=gateways.code_hosts,
    )
    run_loop_steps = providers.Factory(
        pull_cases.RunLoopSteps, uow=uow.provider, clock=clock, runner=loop_step_runner
    )
    # Agent status from the tools' hooks (issue 18)
    record_agent_events = providers.Factory(
        agent_event_cases.RecordAgentEvents,
        uow=uow.provider,
        tokens=session_tokens,
        linux_users=gateways.linux_users,
        clock=clock,
        notices=notice_sink,
    )
    list_session_events = providers.Factory(agent_event_cases.ListSessionEvents, uow=uow.provider)
    list_sessions = providers.Factory(
        sessions.ListSessions, uow=uow.provider, refresh=refresh_sessions
    )
    view_session = providers.Factory(
        sessions.ViewSession,
        uow=uow.provider,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        refresh=refresh_sessions,
    )
    stop_session = providers.Factory(
        sessions.StopSession,
        uow=uow.provider,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        clock=clock,
    )
    reconcile_sessions = providers.Factory(
        sessions.ReconcileSessions, uow=uow.provider, refresh=refresh_sessions
    )
    session_board = providers.Factory(board_cases.ReadSessionBoard, uow=uow.provider)
    # The pages' read of the issue-to-PR loop (issue 19): PRs and step errors by issue.
    pull_request_board = providers.Factory(pr_board_cases.PullRequestBoard, uow=uow.provider)
    live_sessions = providers.Factory(board_cases.ReadLiveSessions, uow=uow.provider)
    session_changes = providers.Factory(board_cases.SessionChangesMarker, uow=uow.provider)
    resync_tmux = providers.Factory(
        sessions.ResyncTmux,
        uow=uow.provider,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        clock=clock,
        launch=launch_session,
    )

    # Terminals on sessions (issue 17)
    open_terminal = providers.Factory(
        terminal_cases.OpenTerminal,
        uow=uow.provider,
        tmux=gateways.tmux_sessions,
        linux_users=gateways.linux_users,
        clock=clock,
    )
    close_terminal = providers.Factory(terminal_cases.CloseTerminal, uow=uow.provider, clock=clock)
    share_session = providers.Factory(terminal_cases.ShareSession, uow=uow.provider, clock=clock)

    # Ansible automation
    settle_lost_runs = providers.Factory(
        lost_runs.SettleLostRuns,
        uow=uow.provider,
        clock=clock,
        processes=gateways.runner_processes,
        lost_after_seconds=settings.provided.run_lost_after,
    )
    list_playbooks = providers.Factory(
        automation.ListPlaybooks, catalogue=gateways.playbook_catalogue, policy=automation_policy
    )
    list_inventories = providers.Factory(
        automation.ListInventories, catalogue=gateways.playbook_catalogue
    )
    run_playbook = providers.Factory(
        automation.RunPlaybook,
        uow=uow.provider,
        clock=clock,
        runner=gateways.playbook_runner,
        catalogue=gateways.playbook_catalogue,
        processes=gateways.runner_processes,
        recorders=gateways.run_recorders,
        policy=automation_policy,
    )
    list_runs = providers.Factory(automation.ListRuns, uow=uow.provider, settle=settle_lost_runs)
    show_run = providers.Factory(automation.ShowRun, uow=uow.provider, settle=settle_lost_runs)
    run_events = providers.Factory(automation.RunEvents, uow=uow.provider, settle=settle_lost_runs)
    cancel_run = providers.Factory(
        automation.CancelRun,
        uow=uow.provider,
        clock=clock,
        runner=gateways.playbook_runner,
        settle=settle_lost_runs,
    )
    cancel_local_runs = providers.Factory(
        automation.CancelLocalRuns,
        runner=gateways.playbook_runner,
        clock=clock,
        cancel=cancel_run.provider,
    )
    reconcile_runs = providers.Factory(
        lost_runs.ReconcileRuns, uow=uow.provider, settle=settle_lost_runs
    )

    # Notifications (issue 18, domain/usecases/notifications.py)
    delivery_policy = providers.Singleton(_delivery_policy, settings=settings)
    add_notification_target = providers.Factory(
        notifications.AddTarget,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        notifier=gateways.notifier,
    )
    list_notification_targets = providers.Factory(notifications.ListTargets, uow=uow.provider)
    remove_notification_target = providers.Factory(
        notifications.RemoveTarget, uow=uow.provider, clock=clock
    )
    test_notification_target = providers.Factory(
        notifications.TestTarget, uow=uow.provider, clock=clock, wakeup=gateways.notice_wakeup
    )
    deliver_notifications = providers.Factory(
        notifications.DeliverNotifications,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        notifier=gateways.notifier,
        policy=delivery_policy,
    )

    # Scheduled jobs
    fetch_workspaces = providers.Factory(
        workspaces.FetchWorkspaces,
        uow=uow.provider,
        locate=locate_workspace,
        git=gateways.git_workspaces,
        locks=gateways.workspace_locks,
    )
    scheduled_playbook = providers.Factory(
        automation.ScheduledPlaybook, run_playbook=run_playbook.provider
    )
    job_handlers = providers.Singleton(
        handlers.default_handlers,
        sync=sync_issues.provider,
        resync=resync_tmux.provider,
        fetch=fetch_workspaces.provider,
        playbook=scheduled_playbook,
        notify=deliver_notifications.provider,
        pulls=sync_pull_requests.provider,
        loop=run_loop_steps.provider,
    )
    job_runner = providers.Factory(
        jobs.JobRunner,
        store=gateways.job_store,
        handlers=job_handlers,
        clock=clock,
        worker=gateways.job_worker,
        policy=runner_policy,
        uow=uow.provider,
        notices=notice_sink,
    )
    add_job = providers.Factory(
        jobs.AddJob,
        uow=uow.provider,
        clock=clock,
        handlers=job_handlers,
        timezone=settings.provided.scheduler_timezone,
    )
    list_jobs = providers.Factory(jobs.ListJobs, uow=uow.provider)
    enable_job = providers.Factory(jobs.EnableJob, uow=uow.provider, clock=clock)
    disable_job = providers.Factory(jobs.DisableJob, uow=uow.provider, clock=clock)
    remove_job = providers.Factory(jobs.RemoveJob, uow=uow.provider, clock=clock)
    run_job_now = providers.Factory(
        jobs.RunJobNow, uow=uow.provider, clock=clock, runner=job_runner
    )


def _port(container: Container, name: str) -> providers.Provider[Any]:
    for owner in (container, container.core, container.gateways):
        provider = getattr(owner, name, None)
        if isinstance(provider, providers.Provider) and not isinstance(
            provider, providers.Container | providers.DependenciesContainer
        ):
            return provider
    raise TypeError(f"the container has no port named {name!r}")


def bootstrap(
    settings: Settings | None = None, *, check_schema: bool = False, **ports: Any
) -> Container:
    """A wired container (the library entry point, see the module docstring): `settings`
    replaces the environment's, and each keyword replaces the port of that name (a use case,
    a core port or a gateway) — a provider as given, any other object as a constant."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    for name, replacement in ports.items():
        provider = _port(container, name)
        provider.override(
            replacement
            if isinstance(replacement, providers.Provider)
            else providers.Object(replacement)
        )
    if check_schema:
        from aiops.adapters.sqlalchemy.migrations import ensure_current

        ensure_current(container.engine())
    return container
