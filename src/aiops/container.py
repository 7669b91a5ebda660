"""The composition root: settings -> adapters -> use cases.

Nothing else builds adapters or use cases. Library use, with any port replaceable:

    from aiops import bootstrap
    from aiops.domain.usecases.tenants import CreateTenantCommand

    aiops = bootstrap()                                  # or bootstrap(settings, clock=FakeClock())
    aiops.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    aiops.shutdown_resources()                           # disposes the database engine

Use cases receive `uow.provider`: a factory that opens a fresh unit of work per call, so one
use-case instance is safe to share between threads.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import shutil
import socket
import sys
from collections.abc import Iterator
from datetime import timedelta
from importlib import import_module
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from aiops.config import ConfigError, Settings, load_settings


def _import_dependency_injector() -> None:
    """dependency_injector's wiring module imports FastAPI, fast_depends, Starlette's requests
    and werkzeug (a test-only package here) when they are installed, to recognise their
    markers. aiops never wires: they are hidden for that one import (30-50 ms a command)."""
    hidden = []
    for dotted in (
        "fastapi.params",
        "fast_depends.dependencies",
        "starlette.requests",
        "werkzeug.local",
    ):
        package = dotted.split(".")[0]
        name = dotted if package in sys.modules else package
        if name not in sys.modules:
            hidden.append(name)
            sys.modules[name] = None  # type: ignore[assignment] # importing it fails at once
    try:
        import_module("dependency_injector.containers")
    finally:
        for name in hidden:
            del sys.modules[name]


_import_dependency_injector()

from dependency_injector import containers, providers  # noqa: E402 - after the hiding above


class _Lazy:
    """A class or function imported on its first call, so that building the container imports
    no adapter and no use case: each command imports what it calls (docs/adr/0002)."""

    __slots__ = ("_module", "_name", "_target")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name, self._target = module, name, None

    def resolve(self) -> Any:
        if self._target is None:
            self._target = getattr(import_module(self._module), self._name)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy {self._module}.{self._name}>"


def _lazy(module: str, *names: str) -> tuple[Any, ...]:
    return tuple(_Lazy(module, name) for name in names)


# The real classes for mypy; at run time the same names, imported on first use.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from aiops.adapters.ansible import FilePlaybookCatalogue
    from aiops.adapters.argon2_hasher import Argon2PasswordHasher
    from aiops.adapters.dns_remote_hosts import DnsRemoteHosts
    from aiops.adapters.fernet_secret_box import FernetSecretBox
    from aiops.adapters.file_agent_contexts import FileAgentContexts
    from aiops.adapters.file_credentials import FileCredentialStore
    from aiops.adapters.filesystem_key_store import FilesystemKeyStore
    from aiops.adapters.git import GitCliWorkspaces
    from aiops.adapters.launcher.executor import Executor
    from aiops.adapters.launching import AccountLauncher
    from aiops.adapters.mapped_accounts import MappedAccounts
    from aiops.adapters.memory_snapshots import InMemoryWorkspaceSnapshots
    from aiops.adapters.npm_installer import NpmCliInstaller
    from aiops.adapters.posix_users import PosixLinuxUsers
    from aiops.adapters.procfs_runner_processes import ProcfsRunnerProcesses
    from aiops.adapters.sqlalchemy.jobs import SqlAlchemyJobStore
    from aiops.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
    from aiops.adapters.system_clock import SystemClock
    from aiops.domain.model.trackers import Provider
    from aiops.domain.model.workspaces import WorkspacePolicy
    from aiops.domain.usecases._workspace import WorkspaceLocks, WorkspacePorts
    from aiops.domain.usecases.agent_context import (
        EditAgentContext,
        LookUpIssue,
        PopulateAgentContext,
    )
    from aiops.domain.usecases.audit import DataVersion, ListAuditEvents
    from aiops.domain.usecases.auth import (
        AuthenticateToken,
        ChangePassword,
        CreateToken,
        ListTokens,
        LoadViewer,
        RevokeToken,
        SignIn,
        SignOut,
    )
    from aiops.domain.usecases.automation import (
        AutomationPolicy,
        AutomationPorts,
        CancelLocalRuns,
        CancelRun,
        ListInventories,
        ListPlaybooks,
        ListRuns,
        RunEvents,
        RunPlaybook,
        ScheduledPlaybook,
        ShowRun,
    )
    from aiops.domain.usecases.cli_tools import CliToolsStatus, InstallCliTool, InstallLocks
    from aiops.domain.usecases.credentials import (
        ListCredentials,
        MirrorCredentials,
        SetCredentials,
    )
    from aiops.domain.usecases.identities import AddIdentity, ListIdentities, SeedIdentities
    from aiops.domain.usecases.job_handlers import default_handlers
    from aiops.domain.usecases.jobs import (
        AddJob,
        DisableJob,
        EnableJob,
        JobRunner,
        ListJobs,
        RemoveJob,
        RunJobNow,
        RunnerPolicy,
    )
    from aiops.domain.usecases.lost_runs import ReconcileRuns
    from aiops.domain.usecases.memberships import AddMember, ListMembers
    from aiops.domain.usecases.projects import (
        CreateProject,
        GetProject,
        ListProjects,
        UpdateProject,
    )
    from aiops.domain.usecases.secrets import RotateSecretKey, VerifySecretKey
    from aiops.domain.usecases.seed import SeedDefaults
    from aiops.domain.usecases.sessions import (
        LaunchSession,
        ListSessions,
        ReconcileSessions,
        ResyncTmux,
        SessionPolicy,
        SessionPorts,
        StopSession,
        ViewSession,
    )
    from aiops.domain.usecases.sync_issues import ListIssues, SyncIssues
    from aiops.domain.usecases.tenants import CreateTenant, GetTenant, ListTenants, UpdateTenant
    from aiops.domain.usecases.trackers import (
        AddTracker,
        ListManagedTrackers,
        ListTrackers,
        RemoveTracker,
        ReplaceTrackerSecrets,
        TestTracker,
    )
    from aiops.domain.usecases.triage import IncidentCounts, SearchIssues, TriageIssues
    from aiops.domain.usecases.users import CreateUser, ListUsers, SetAdmin, SetPassword
    from aiops.domain.usecases.webhooks import ReceiveWebhook
    from aiops.domain.usecases.workspaces import (
        FetchWorkspaces,
        GetWorkspaceStatus,
        InitWorkspace,
        ListBranches,
        OperateWorkspace,
        ReadSnapshots,
        RefreshSnapshot,
    )
    from aiops.ports.automation import PlaybookRunner
    from aiops.ports.issue_tracker import IssueTracker
    from aiops.ports.tmux import TmuxSessions
else:
    _A, _U = "aiops.adapters.", "aiops.domain.usecases."
    (FilePlaybookCatalogue,) = _lazy(_A + "ansible", "FilePlaybookCatalogue")
    (Argon2PasswordHasher,) = _lazy(_A + "argon2_hasher", "Argon2PasswordHasher")
    (DnsRemoteHosts,) = _lazy(_A + "dns_remote_hosts", "DnsRemoteHosts")
    (FernetSecretBox,) = _lazy(_A + "fernet_secret_box", "FernetSecretBox")
    (FileAgentContexts,) = _lazy(_A + "file_agent_contexts", "FileAgentContexts")
    (MappedAccounts,) = _lazy(_A + "mapped_accounts", "MappedAccounts")
    (InMemoryWorkspaceSnapshots,) = _lazy(_A + "memory_snapshots", "InMemoryWorkspaceSnapshots")
    (NpmCliInstaller,) = _lazy(_A + "npm_installer", "NpmCliInstaller")
    (ProcfsRunnerProcesses,) = _lazy(_A + "procfs_runner_processes", "ProcfsRunnerProcesses")
    (SqlAlchemyJobStore,) = _lazy(_A + "sqlalchemy.jobs", "SqlAlchemyJobStore")
    (SqlAlchemyUnitOfWork,) = _lazy(_A + "sqlalchemy.unit_of_work", "SqlAlchemyUnitOfWork")
    (SystemClock,) = _lazy(_A + "system_clock", "SystemClock")
    WorkspaceLocks, WorkspacePorts = _lazy(_U + "_workspace", "WorkspaceLocks", "WorkspacePorts")
    EditAgentContext, LookUpIssue, PopulateAgentContext = _lazy(
        _U + "agent_context", "EditAgentContext", "LookUpIssue", "PopulateAgentContext"
    )
    DataVersion, ListAuditEvents = _lazy(_U + "audit", "DataVersion", "ListAuditEvents")
    (
        AuthenticateToken,
        ChangePassword,
        CreateToken,
        ListTokens,
        LoadViewer,
        RevokeToken,
        SignIn,
        SignOut,
    ) = _lazy(
        _U + "auth",
        "AuthenticateToken",
        "ChangePassword",
        "CreateToken",
        "ListTokens",
        "LoadViewer",
        "RevokeToken",
        "SignIn",
        "SignOut",
    )
    (
        AutomationPorts,
        CancelLocalRuns,
        CancelRun,
        ListInventories,
        ListPlaybooks,
        ListRuns,
        RunEvents,
        RunPlaybook,
        ScheduledPlaybook,
        ShowRun,
    ) = _lazy(
        _U + "automation",
        "AutomationPorts",
        "CancelLocalRuns",
        "CancelRun",
        "ListInventories",
        "ListPlaybooks",
        "ListRuns",
        "RunEvents",
        "RunPlaybook",
        "ScheduledPlaybook",
        "ShowRun",
    )
    CliToolsStatus, InstallCliTool, InstallLocks = _lazy(
        _U + "cli_tools", "CliToolsStatus", "InstallCliTool", "InstallLocks"
    )
    ListCredentials, MirrorCredentials, SetCredentials = _lazy(
        _U + "credentials", "ListCredentials", "MirrorCredentials", "SetCredentials"
    )
    AddIdentity, ListIdentities, SeedIdentities = _lazy(
        _U + "identities", "AddIdentity", "ListIdentities", "SeedIdentities"
    )
    (default_handlers,) = _lazy(_U + "job_handlers", "default_handlers")
    AddJob, DisableJob, EnableJob, JobRunner, ListJobs, RemoveJob, RunJobNow = _lazy(
        _U + "jobs",
        "AddJob",
        "DisableJob",
        "EnableJob",
        "JobRunner",
        "ListJobs",
        "RemoveJob",
        "RunJobNow",
    )
    (ReconcileRuns,) = _lazy(_U + "lost_runs", "ReconcileRuns")
    AddMember, ListMembers = _lazy(_U + "memberships", "AddMember", "ListMembers")
    CreateProject, GetProject, ListProjects, UpdateProject = _lazy(
        _U + "projects", "CreateProject", "GetProject", "ListProjects", "UpdateProject"
    )
    RotateSecretKey, VerifySecretKey = _lazy(_U + "secrets", "RotateSecretKey", "VerifySecretKey")
    (SeedDefaults,) = _lazy(_U + "seed", "SeedDefaults")
    (
        LaunchSession,
        ListSessions,
        ReconcileSessions,
        ResyncTmux,
        SessionPorts,
        StopSession,
        ViewSession,
    ) = _lazy(
        _U + "sessions",
        "LaunchSession",
        "ListSessions",
        "ReconcileSessions",
        "ResyncTmux",
        "SessionPorts",
        "StopSession",
        "ViewSession",
    )
    ListIssues, SyncIssues = _lazy(_U + "sync_issues", "ListIssues", "SyncIssues")
    CreateTenant, GetTenant, ListTenants, UpdateTenant = _lazy(
        _U + "tenants", "CreateTenant", "GetTenant", "ListTenants", "UpdateTenant"
    )
    (
        AddTracker,
        ListManagedTrackers,
        ListTrackers,
        RemoveTracker,
        ReplaceTrackerSecrets,
        TestTracker,
    ) = _lazy(
        _U + "trackers",
        "AddTracker",
        "ListManagedTrackers",
        "ListTrackers",
        "RemoveTracker",
        "ReplaceTrackerSecrets",
        "TestTracker",
    )
    IncidentCounts, SearchIssues, TriageIssues = _lazy(
        _U + "triage", "IncidentCounts", "SearchIssues", "TriageIssues"
    )
    CreateUser, ListUsers, SetAdmin, SetPassword = _lazy(
        _U + "users", "CreateUser", "ListUsers", "SetAdmin", "SetPassword"
    )
    (ReceiveWebhook,) = _lazy(_U + "webhooks", "ReceiveWebhook")
    (
        FetchWorkspaces,
        GetWorkspaceStatus,
        InitWorkspace,
        ListBranches,
        OperateWorkspace,
        ReadSnapshots,
        RefreshSnapshot,
    ) = _lazy(
        _U + "workspaces",
        "FetchWorkspaces",
        "GetWorkspaceStatus",
        "InitWorkspace",
        "ListBranches",
        "OperateWorkspace",
        "ReadSnapshots",
        "RefreshSnapshot",
    )


def _engine(settings: Settings) -> Iterator[Engine]:
    from aiops.adapters.sqlalchemy.engine import make_engine

    try:
        settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"AIOPS_INSTANCE_PATH={settings.instance_path}: cannot create the instance folder "
            f"({error.strerror})"
        ) from None
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        yield engine
    finally:
        engine.dispose()


def _secret_key(settings: Settings) -> str:
    from aiops.adapters import secret_key as secret_key_file

    settings.instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    return secret_key_file.load_or_create(settings.instance_path, configured)


def _git_workspaces(settings: Settings, launcher: AccountLauncher) -> GitCliWorkspaces:
    from aiops.adapters.git import GitCliWorkspaces

    return GitCliWorkspaces(
        launcher=launcher,
        known_hosts=settings.instance_path / "known_hosts",
        accept_new_host_keys=settings.ssh_accept_new_host_keys,
    )


def launcher_programs() -> dict[str, tuple[str, ...]]:
    """The programs the launcher runs as an account (by name; the request never names a path).
    find removes a tmux socket folder's stale secrets files as their account; rm the private
    folder a git transfer's credentials were handed over in."""
    names = ("git", "tmux", "find", "true", "rm")
    return {name: (shutil.which(name) or f"/usr/bin/{name}",) for name in names}


def _launcher_executor(settings: Settings, mapped: MappedAccounts) -> Executor:
    from aiops.adapters.launcher.executor import Executor
    from aiops.adapters.launcher.switch import AccountRules
    from aiops.adapters.npm_installer import allowlisted_packages
    from aiops.adapters.system_accounts import uid_min

    return Executor(
        rules=AccountRules(minimum=uid_min(), deny=settings.linux_user_deny_list, mapped=mapped),
        programs=launcher_programs(),
        workspace_root=settings.workspace_root,
        npm=shutil.which(settings.npm) or settings.npm,
        packages=allowlisted_packages(),
        # In process, the one asking is this process (an operator's CLI, the tests): its own
        # actions are audited; the daemon logs every request at info.
        log=_launcher_debug,
    )


def _launcher_debug(event: str, **fields: Any) -> None:
    """At debug level only, so the usual command never loads the logging stack for it."""
    if logging.getLogger("aiops.launcher").isEnabledFor(logging.DEBUG):
        from aiops.log import get_logger

        get_logger("aiops.launcher").debug(event, **fields)


def _launcher(settings: Settings, executor: providers.Provider[Executor]) -> AccountLauncher:
    """How adapters act as an account: through the launcher's socket when it listens (aiops runs
    as the service account), by the launcher's code in this process when aiops is root (an
    operator's CLI, the tests), else only as this process's own account."""
    from aiops.adapters.launching import (
        AccountLauncher,
        Backend,
        InProcessBackend,
        SocketBackend,
    )

    backend: Backend | None = None
    if os.geteuid() == 0:
        backend = InProcessBackend(executor())
    elif settings.launcher_socket_path.is_socket() or _is_service_account(settings):
        backend = SocketBackend(str(settings.launcher_socket_path))
    return AccountLauncher(
        backend=backend, programs=launcher_programs(), workspace_root=settings.workspace_root
    )


def _is_service_account(settings: Settings) -> bool:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name == settings.service_user
    except KeyError:
        return False


def _workspace_policy(settings: Settings) -> WorkspacePolicy:
    from aiops.domain.model.workspaces import WorkspacePolicy

    return WorkspacePolicy(
        root=PurePosixPath(settings.workspace_root),
        linux_user_strategy=settings.linux_user_strategy,
        linux_user_mapping=settings.linux_user_mapping,
    )


def _linux_users(settings: Settings) -> PosixLinuxUsers:
    """UID_MIN is read from /etc/login.defs once, here."""
    from aiops.adapters.posix_users import PosixLinuxUsers
    from aiops.adapters.system_accounts import uid_min

    return PosixLinuxUsers(deny=settings.linux_user_deny_list, minimum=uid_min())


def _key_store(settings: Settings) -> FilesystemKeyStore:
    from aiops.adapters.filesystem_key_store import FilesystemKeyStore

    return FilesystemKeyStore(settings.instance_path / "keys")


def _credential_store(settings: Settings, launcher: AccountLauncher) -> FileCredentialStore:
    """Each user's AI tool credentials, under <instance>/<tool>/user-<id>/."""
    from aiops.adapters.file_credentials import FileCredentialStore

    return FileCredentialStore(settings.instance_path, launcher)


def _issue_trackers(settings: Settings) -> Iterator[dict[Provider, IssueTracker]]:
    """The tracker adapters by provider. httpx is imported here, on first use: most commands
    never talk to a tracker."""
    from aiops.adapters.trackers import GitHubTracker, GitLabTracker, JiraTracker
    from aiops.domain.model.trackers import Provider

    private = settings.tracker_allow_private_networks
    adapters: dict[Provider, IssueTracker] = {
        Provider.GITHUB: GitHubTracker(allow_private_networks=private),
        Provider.GITLAB: GitLabTracker(allow_private_networks=private),
        Provider.JIRA: JiraTracker(allow_private_networks=private),
    }
    try:
        yield adapters
    finally:
        for adapter in adapters.values():
            adapter.close()  # type: ignore[attr-defined]


def _tmux_sessions(launcher: AccountLauncher) -> TmuxSessions:
    """Imported on first use: most commands never talk to tmux."""
    from aiops.adapters.tmux import LauncherTmuxSessions

    return LauncherTmuxSessions(launcher=launcher)


def _playbook_runner(settings: Settings, catalogue: FilePlaybookCatalogue) -> PlaybookRunner:
    """ansible_runner is imported on the first run: most commands never start one."""
    from aiops.adapters.ansible.lazy import LazyAnsibleRunner

    return LazyAnsibleRunner(
        catalogue=catalogue,
        work_dir=settings.instance_path / "ansible",
        artifacts_keep=settings.ansible_artifacts_keep,
        npm=settings.npm,
    )


def _automation_policy(settings: Settings) -> AutomationPolicy:
    from aiops.domain.usecases.automation import AutomationPolicy

    return AutomationPolicy(
        playbooks=settings.playbook_list,
        project_inventories=settings.project_inventories,
        timeout_seconds=settings.playbook_timeout,
    )


def _session_policy(settings: Settings, workspace_policy: WorkspacePolicy) -> SessionPolicy:
    from aiops.domain.usecases.sessions import SessionPolicy, tool_specs

    return SessionPolicy(
        tools=tool_specs(settings.agent_tool_list, settings.agent_commands, settings.agent_env),
        workspace=workspace_policy,
        tmux_tmpdir=str(settings.tmux_tmpdir),
        socket_name=settings.tmux_socket_name,
        login_shell=settings.use_login_shell,
        host=settings.ssh_host or socket.gethostname(),
    )


def runner_owner() -> str:
    """A name no other runner has: host, process and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _runner_policy(settings: Settings) -> RunnerPolicy:
    from aiops.domain.usecases.jobs import RunnerPolicy

    lease = timedelta(seconds=settings.job_lease_seconds)
    return RunnerPolicy(
        owner=runner_owner(),
        lease=lease,
        poll=settings.scheduler_poll,
        grace=lease.total_seconds() / 3,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)

    # Adapters
    engine = providers.Resource(_engine, settings=settings)
    secret_key = providers.Singleton(_secret_key, settings=settings)
    secret_box = providers.Singleton(FernetSecretBox, secret_key=secret_key)
    uow = providers.Factory(SqlAlchemyUnitOfWork, engine=engine)
    clock = providers.Singleton(SystemClock)
    key_store = providers.Singleton(_key_store, settings=settings)
    hasher = providers.Singleton(
        Argon2PasswordHasher,
        time_cost=settings.provided.argon2_time_cost,
        memory_cost_kib=settings.provided.argon2_memory_kib,
        parallelism=settings.provided.argon2_parallelism,
    )
    linux_users = providers.Singleton(_linux_users, settings=settings)
    workspace_snapshots = providers.Singleton(InMemoryWorkspaceSnapshots)
    cli_install_locks = providers.Singleton(InstallLocks)
    workspace_locks = providers.Singleton(WorkspaceLocks)
    workspace_policy = providers.Singleton(_workspace_policy, settings=settings)
    remote_hosts = providers.Singleton(
        DnsRemoteHosts, allow_private_networks=settings.provided.git_allow_private_networks
    )
    mapped_accounts = providers.Singleton(MappedAccounts, uow=uow.provider, policy=workspace_policy)
    launcher_executor = providers.Singleton(
        _launcher_executor, settings=settings, mapped=mapped_accounts
    )
    launcher = providers.Singleton(
        _launcher, settings=settings, executor=launcher_executor.provider
    )
    credential_store = providers.Singleton(_credential_store, settings=settings, launcher=launcher)
    git_workspaces = providers.Singleton(_git_workspaces, settings=settings, launcher=launcher)
    agent_context_files = providers.Singleton(FileAgentContexts, launcher=launcher)
    cli_installer = providers.Singleton(
        NpmCliInstaller, npm=settings.provided.npm, launcher=launcher
    )
    workspace_ports = providers.Singleton(
        WorkspacePorts,
        uow=uow.provider,
        git=git_workspaces,
        linux_users=linux_users,
        snapshots=workspace_snapshots,
        clock=clock,
        policy=workspace_policy,
        locks=workspace_locks,
        secret_box=secret_box,
    )

    # Use cases
    create_tenant = providers.Factory(CreateTenant, uow=uow.provider, clock=clock)
    update_tenant = providers.Factory(UpdateTenant, uow=uow.provider, clock=clock)
    list_tenants = providers.Factory(ListTenants, uow=uow.provider)
    get_tenant = providers.Factory(GetTenant, uow=uow.provider)
    create_project = providers.Factory(
        CreateProject,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        remote_hosts=remote_hosts,
    )
    update_project = providers.Factory(
        UpdateProject,
        uow=uow.provider,
        clock=clock,
        secret_box=secret_box,
        remote_hosts=remote_hosts,
    )
    list_projects = providers.Factory(ListProjects, uow=uow.provider)
    get_project = providers.Factory(GetProject, uow=uow.provider)
    create_user = providers.Factory(
        CreateUser, uow=uow.provider, clock=clock, policy=workspace_policy
    )
    set_password = providers.Factory(SetPassword, uow=uow.provider, clock=clock, hasher=hasher)
    list_users = providers.Factory(ListUsers, uow=uow.provider)
    add_member = providers.Factory(AddMember, uow=uow.provider, clock=clock)
    list_members = providers.Factory(ListMembers, uow=uow.provider)
    list_audit_events = providers.Factory(ListAuditEvents, uow=uow.provider)
    data_version = providers.Factory(DataVersion, uow=uow.provider)
    seed_defaults = providers.Factory(
        SeedDefaults, uow=uow.provider, clock=clock, hasher=hasher, policy=workspace_policy
    )
    set_admin = providers.Factory(SetAdmin, uow=uow.provider, clock=clock)
    sign_in = providers.Singleton(SignIn, uow=uow.provider, clock=clock, hasher=hasher)
    load_viewer = providers.Factory(LoadViewer, uow=uow.provider)
    sign_out = providers.Factory(SignOut, uow=uow.provider, clock=clock)
    change_password = providers.Factory(
        ChangePassword, uow=uow.provider, clock=clock, hasher=hasher
    )
    create_token = providers.Factory(CreateToken, uow=uow.provider, clock=clock)
    list_tokens = providers.Factory(ListTokens, uow=uow.provider)
    revoke_token = providers.Factory(RevokeToken, uow=uow.provider, clock=clock)
    authenticate_token = providers.Factory(AuthenticateToken, uow=uow.provider, clock=clock)
    issue_trackers = providers.Resource(_issue_trackers, settings=settings)
    add_tracker = providers.Factory(
        AddTracker, uow=uow.provider, clock=clock, secret_box=secret_box
    )
    list_trackers = providers.Factory(ListTrackers, uow=uow.provider)
    list_managed_trackers = providers.Factory(ListManagedTrackers, uow=uow.provider)
    replace_tracker_secrets = providers.Factory(
        ReplaceTrackerSecrets, uow=uow.provider, clock=clock, secret_box=secret_box
    )
    remove_tracker = providers.Factory(RemoveTracker, uow=uow.provider, clock=clock)
    verify_secret_key = providers.Factory(VerifySecretKey, uow=uow.provider, secret_box=secret_box)
    rotate_secret_key = providers.Factory(RotateSecretKey, uow=uow.provider, clock=clock)
    test_tracker = providers.Factory(
        TestTracker, uow=uow.provider, secret_box=secret_box, trackers=issue_trackers
    )
    sync_issues = providers.Factory(
        SyncIssues, uow=uow.provider, clock=clock, secret_box=secret_box, trackers=issue_trackers
    )
    list_issues = providers.Factory(ListIssues, uow=uow.provider)
    search_issues = providers.Factory(
        SearchIssues,
        uow=uow.provider,
        incident_labels=settings.provided.incident_label_list,
    )
    incident_counts = providers.Factory(
        IncidentCounts,
        uow=uow.provider,
        incident_labels=settings.provided.incident_label_list,
    )
    triage_issues = providers.Factory(TriageIssues, uow=uow.provider, clock=clock)
    receive_webhook = providers.Factory(
        ReceiveWebhook, uow=uow.provider, clock=clock, secret_box=secret_box
    )
    init_workspace = providers.Factory(InitWorkspace, ports=workspace_ports)
    workspace_status = providers.Factory(GetWorkspaceStatus, ports=workspace_ports)
    list_branches = providers.Factory(ListBranches, ports=workspace_ports)
    operate_workspace = providers.Factory(OperateWorkspace, ports=workspace_ports)
    refresh_snapshot = providers.Factory(RefreshSnapshot, ports=workspace_ports)
    read_snapshots = providers.Factory(ReadSnapshots, ports=workspace_ports)
    look_up_issue = providers.Factory(LookUpIssue, uow=uow.provider, git=git_workspaces)
    edit_agent_context = providers.Factory(
        EditAgentContext,
        files=agent_context_files,
        max_bytes=settings.provided.agent_context_max_bytes,
    )
    populate_agent_context = providers.Factory(
        PopulateAgentContext,
        uow=uow.provider,
        files=agent_context_files,
        policy=workspace_policy,
        linux_users=linux_users,
        clock=clock,
        max_bytes=settings.provided.agent_context_max_bytes,
    )
    add_identity = providers.Factory(AddIdentity, uow=uow.provider, clock=clock)
    list_identities = providers.Factory(ListIdentities, uow=uow.provider)
    cli_tools_status = providers.Factory(CliToolsStatus, installer=cli_installer)
    install_cli_tool = providers.Factory(
        InstallCliTool,
        uow=uow.provider,
        clock=clock,
        installer=cli_installer,
        locks=cli_install_locks,
    )
    seed_identities = providers.Factory(
        SeedIdentities, uow=uow.provider, clock=clock, keys=key_store
    )
    set_credentials = providers.Factory(
        SetCredentials,
        uow=uow.provider,
        clock=clock,
        store=credential_store,
        linux_users=linux_users,
        policy=workspace_policy,
    )
    list_credentials = providers.Factory(ListCredentials, uow=uow.provider, store=credential_store)
    mirror_credentials = providers.Factory(MirrorCredentials, store=credential_store)

    # AI sessions
    tmux_sessions = providers.Singleton(_tmux_sessions, launcher=launcher)
    session_policy = providers.Singleton(
        _session_policy, settings=settings, workspace_policy=workspace_policy
    )
    session_ports = providers.Singleton(
        SessionPorts,
        uow=uow.provider,
        tmux=tmux_sessions,
        linux_users=linux_users,
        clock=clock,
        policy=session_policy,
        init_workspace=init_workspace,
        context=populate_agent_context,
        credentials=mirror_credentials,
    )
    launch_session = providers.Factory(LaunchSession, ports=session_ports)
    list_sessions = providers.Factory(ListSessions, ports=session_ports)
    view_session = providers.Factory(ViewSession, ports=session_ports)
    stop_session = providers.Factory(StopSession, ports=session_ports)
    reconcile_sessions = providers.Factory(ReconcileSessions, ports=session_ports)
    resync_tmux = providers.Factory(ResyncTmux, ports=session_ports, launch=launch_session)

    # Ansible automation
    playbook_catalogue = providers.Singleton(
        FilePlaybookCatalogue, ansible_dir=settings.provided.ansible_dir
    )
    playbook_runner = providers.Singleton(
        _playbook_runner, settings=settings, catalogue=playbook_catalogue
    )
    automation_policy = providers.Singleton(_automation_policy, settings=settings)
    runner_processes = providers.Singleton(ProcfsRunnerProcesses)
    automation_ports = providers.Singleton(
        AutomationPorts,
        uow=uow.provider,
        clock=clock,
        runner=playbook_runner,
        catalogue=playbook_catalogue,
        processes=runner_processes,
        policy=automation_policy,
        lost_after_seconds=settings.provided.run_lost_after,
    )
    list_playbooks = providers.Factory(ListPlaybooks, ports=automation_ports)
    list_inventories = providers.Factory(ListInventories, ports=automation_ports)
    run_playbook = providers.Factory(RunPlaybook, ports=automation_ports)
    list_runs = providers.Factory(ListRuns, ports=automation_ports)
    show_run = providers.Factory(ShowRun, ports=automation_ports)
    run_events = providers.Factory(RunEvents, ports=automation_ports)
    cancel_run = providers.Factory(CancelRun, ports=automation_ports)
    cancel_local_runs = providers.Factory(
        CancelLocalRuns, ports=automation_ports, cancel=cancel_run.provider
    )
    reconcile_runs = providers.Factory(ReconcileRuns, ports=automation_ports)

    # Scheduled jobs
    fetch_workspaces = providers.Factory(FetchWorkspaces, ports=workspace_ports)
    scheduled_playbook = providers.Factory(ScheduledPlaybook, run_playbook=run_playbook.provider)
    job_handlers = providers.Singleton(
        default_handlers,
        sync=sync_issues.provider,
        resync=resync_tmux.provider,
        fetch=fetch_workspaces.provider,
        playbook=scheduled_playbook,
    )
    job_store = providers.Singleton(SqlAlchemyJobStore, engine=engine)
    runner_policy = providers.Singleton(_runner_policy, settings=settings)
    job_runner = providers.Factory(
        JobRunner, store=job_store, handlers=job_handlers, clock=clock, policy=runner_policy
    )
    add_job = providers.Factory(
        AddJob,
        uow=uow.provider,
        clock=clock,
        handlers=job_handlers,
        timezone=settings.provided.scheduler_timezone,
    )
    list_jobs = providers.Factory(ListJobs, uow=uow.provider)
    enable_job = providers.Factory(EnableJob, uow=uow.provider, clock=clock)
    disable_job = providers.Factory(DisableJob, uow=uow.provider, clock=clock)
    remove_job = providers.Factory(RemoveJob, uow=uow.provider, clock=clock)
    run_job_now = providers.Factory(RunJobNow, uow=uow.provider, clock=clock, runner=job_runner)


def bootstrap(
    settings: Settings | None = None, *, check_schema: bool = False, **ports: Any
) -> Container:
    """A wired container (the library entry point, see the module docstring): `settings`
    replaces the environment's, and each keyword replaces the port of that name — a provider
    as given, any other object as a constant."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    for name, replacement in ports.items():
        provider = getattr(container, name, None)
        if not isinstance(provider, providers.Provider):
            raise TypeError(f"the container has no port named {name!r}")
        provider.override(
            replacement
            if isinstance(replacement, providers.Provider)
            else providers.Object(replacement)
        )
    if check_schema:
        from aiops.adapters.sqlalchemy.migrations import ensure_current

        ensure_current(container.engine())
    return container
