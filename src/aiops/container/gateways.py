"""The gateways: every adapter that reaches outside the process (the launcher and what acts
through it as an account, git, tmux, the trackers, Ansible, files of the instance)."""

from __future__ import annotations

import logging
import os
import pwd
import shutil
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from dependency_injector import containers, providers

from aiops.config import Settings
from aiops.container._lazy import modules

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from aiops.adapters import (
        ansible,
        dns_remote_hosts,
        file_agent_contexts,
        memory_snapshots,
        npm_installer,
        process_locks,
        procfs_runner_processes,
        run_recorder,
    )
    from aiops.adapters import job_worker as job_workers
    from aiops.adapters import mapped_accounts as mapped
    from aiops.adapters.file_credentials import FileCredentialStore
    from aiops.adapters.filesystem_key_store import FilesystemKeyStore
    from aiops.adapters.git import GitCliWorkspaces
    from aiops.adapters.launcher.executor import Executor
    from aiops.adapters.launching import AccountLauncher
    from aiops.adapters.mapped_accounts import MappedAccounts
    from aiops.adapters.posix_users import PosixLinuxUsers
    from aiops.adapters.sqlalchemy import jobs
    from aiops.domain.model.trackers import Provider
    from aiops.ports.agent_hooks import AgentHooks
    from aiops.ports.automation import PlaybookRunner
    from aiops.ports.code_hosts import CodeHost, IssueComments
    from aiops.ports.git_worktrees import GitWorktrees
    from aiops.ports.issue_tracker import IssueTracker
    from aiops.ports.operation_counts import OperationCounts, RateLimitHeadroom
    from aiops.ports.terminals import Terminals
    from aiops.ports.tmux import TmuxSessions
else:
    (
        ansible,
        dns_remote_hosts,
        file_agent_contexts,
        memory_snapshots,
        npm_installer,
        procfs_runner_processes,
        process_locks,
        run_recorder,
    ) = modules(
        "aiops.adapters",
        "ansible",
        "dns_remote_hosts",
        "file_agent_contexts",
        "memory_snapshots",
        "npm_installer",
        "procfs_runner_processes",
        "process_locks",
        "run_recorder",
    )
    (mapped,) = modules("aiops.adapters", "mapped_accounts")
    (job_workers,) = modules("aiops.adapters", "job_worker")
    (jobs,) = modules("aiops.adapters.sqlalchemy", "jobs")
if TYPE_CHECKING:
    from aiops.adapters import memory_transfers
    from aiops.adapters import oidc as oidc_adapter
else:
    (memory_transfers,) = modules("aiops.adapters", "memory_transfers")
    (oidc_adapter,) = modules("aiops.adapters", "oidc")
if TYPE_CHECKING:
    from aiops.adapters import apprise_notifier, delivery_thread, loop_thread
    from aiops.domain.usecases import notifications
else:
    apprise_notifier, delivery_thread, loop_thread = modules(
        "aiops.adapters", "apprise_notifier", "delivery_thread", "loop_thread"
    )
    (notifications,) = modules("aiops.domain.usecases", "notifications")


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


def _git_workspaces(settings: Settings, launcher: AccountLauncher) -> GitCliWorkspaces:
    from aiops.adapters.git import GitCliWorkspaces

    return GitCliWorkspaces(
        launcher=launcher,
        known_hosts=settings.instance_path / "known_hosts",
        accept_new_host_keys=settings.ssh_accept_new_host_keys,
    )


def _git_worktrees(settings: Settings, launcher: AccountLauncher) -> GitWorktrees:
    from aiops.adapters.git.credentials import Credentials
    from aiops.adapters.git.worktrees import GitCliWorktrees

    credentials = Credentials(  # for the blobs a partial clone's new worktree fetches
        launcher=launcher,
        known_hosts=settings.instance_path / "known_hosts",
        accept_new_host_keys=settings.ssh_accept_new_host_keys,
    )
    return GitCliWorktrees(launcher=launcher, credentials=credentials)


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


def _code_hosts(trackers: Mapping[Provider, IssueTracker]) -> dict[Provider, CodeHost]:
    """The trackers that host code (issue 19): GitHub and GitLab open pull (merge) requests."""
    from aiops.domain.model.trackers import Provider

    hosts = (Provider.GITHUB, Provider.GITLAB)
    return {p: cast("CodeHost", tracker) for p, tracker in trackers.items() if p in hosts}


def _issue_comments(trackers: Mapping[Provider, IssueTracker]) -> dict[Provider, IssueComments]:
    """Every tracker comments on its issues (GitHub, GitLab, Jira)."""
    return {provider: cast("IssueComments", tracker) for provider, tracker in trackers.items()}


def _agent_hooks(settings: Settings, launcher: AccountLauncher) -> AgentHooks:
    """The tools' hook settings written as the account (issue 18), imported on first use."""
    from aiops.adapters.agent_hooks import LauncherAgentHooks

    return LauncherAgentHooks(launcher=launcher, command=settings.hook_command)


def _tmux_sessions(launcher: AccountLauncher) -> TmuxSessions:
    """Imported on first use: most commands never talk to tmux."""
    from aiops.adapters.tmux import LauncherTmuxSessions

    return LauncherTmuxSessions(launcher=launcher)


def _terminals(launcher: AccountLauncher) -> Terminals:
    """tmux clients on a pty, as the server's account (imported on first use)."""
    from aiops.adapters.tmux.terminals import LauncherTerminals

    return LauncherTerminals(launcher=launcher)


def _playbook_runner(
    settings: Settings, catalogue: ansible.FilePlaybookCatalogue
) -> PlaybookRunner:
    """ansible_runner is imported on the first run: most commands never start one."""
    from aiops.adapters.ansible.lazy import LazyAnsibleRunner

    return LazyAnsibleRunner(
        catalogue=catalogue,
        work_dir=settings.instance_path / "ansible",
        artifacts_keep=settings.ansible_artifacts_keep,
        npm=settings.npm,
    )


def _rate_limit_headroom() -> RateLimitHeadroom:
    from aiops.adapters.memory_rate_limits import InMemoryRateLimitHeadroom

    return InMemoryRateLimitHeadroom()


def _operation_counts(engine: Engine, headroom: RateLimitHeadroom) -> OperationCounts:
    """What /metrics reads (imported on the first scrape)."""
    from aiops.adapters.sqlalchemy.operation_counts import SqlAlchemyOperationCounts

    return SqlAlchemyOperationCounts(engine=engine, headroom=headroom)


class Gateways(containers.DeclarativeContainer):
    core = providers.DependenciesContainer()
    settings = core.settings

    linux_users = providers.Singleton(_linux_users, settings=settings)
    mapped_accounts = providers.Singleton(
        mapped.MappedAccounts, uow=core.uow.provider, policy=core.workspace_policy
    )
    launcher_executor = providers.Singleton(
        _launcher_executor, settings=settings, mapped=mapped_accounts
    )
    launcher = providers.Singleton(
        _launcher, settings=settings, executor=launcher_executor.provider
    )
    git_workspaces = providers.Singleton(_git_workspaces, settings=settings, launcher=launcher)
    git_worktrees = providers.Singleton(_git_worktrees, settings=settings, launcher=launcher)
    workspace_snapshots = providers.Singleton(memory_snapshots.InMemoryWorkspaceSnapshots)
    workspace_locks = providers.Singleton(process_locks.ProcessLocks)
    transfer_progress = providers.Singleton(memory_transfers.InMemoryTransferProgressBoard)
    remote_hosts = providers.Singleton(
        dns_remote_hosts.DnsRemoteHosts,
        allow_private_networks=settings.provided.git_allow_private_networks,
    )
    # The OpenID Connect relying party (issue 20): one per process, its discovery and key
    # sets cached across sign-ins.
    oidc_client = providers.Singleton(
        oidc_adapter.AuthlibOidcClient,
        allow_insecure_loopback=settings.provided.oidc_allow_insecure_loopback,
        groups_claim=settings.provided.oidc_groups_claim,
    )
    key_store = providers.Singleton(_key_store, settings=settings)
    credential_store = providers.Singleton(_credential_store, settings=settings, launcher=launcher)
    agent_context_files = providers.Singleton(
        file_agent_contexts.FileAgentContexts, launcher=launcher
    )
    agent_hooks = providers.Singleton(_agent_hooks, settings=settings, launcher=launcher)
    cli_installer = providers.Singleton(
        npm_installer.NpmCliInstaller, npm=settings.provided.npm, launcher=launcher
    )
    cli_install_locks = providers.Singleton(process_locks.ProcessLocks)
    issue_trackers = providers.Resource(_issue_trackers, settings=settings)
    # The same adapters as writers for the issue-to-PR loop (issue 19)
    code_hosts = providers.Factory(_code_hosts, trackers=issue_trackers)
    issue_comments = providers.Factory(_issue_comments, trackers=issue_trackers)
    tmux_sessions = providers.Singleton(_tmux_sessions, launcher=launcher)
    terminals = providers.Singleton(_terminals, launcher=launcher)
    playbook_catalogue = providers.Singleton(
        ansible.FilePlaybookCatalogue, ansible_dir=settings.provided.ansible_dir
    )
    playbook_runner = providers.Singleton(
        _playbook_runner, settings=settings, catalogue=playbook_catalogue
    )
    runner_processes = providers.Singleton(procfs_runner_processes.ProcfsRunnerProcesses)
    # Notifications (issue 18): apprise; the web server's delivery thread's wake-up; and the
    # NoticeSink every source queues through (a use case, here so that the run recorders and
    # the use cases share it)
    notifier = providers.Singleton(apprise_notifier.AppriseNotifier)
    notice_wakeup = providers.Singleton(delivery_thread.ThreadDeliveryWakeup)
    notice_sink = providers.Singleton(
        notifications.QueueNotices, clock=core.clock, wakeup=notice_wakeup
    )
    # The issue-to-PR loop's runner in `aiops serve` (issue 19): calling it wakes the thread
    loop_wakeup = providers.Singleton(loop_thread.ThreadLoopRunner)
    run_recorders = providers.Singleton(
        run_recorder.ThreadedRunRecorders,
        uow=core.uow.provider,
        clock=core.clock,
        lost_after_seconds=settings.provided.run_lost_after,
        notices=notice_sink,
    )
    job_worker = providers.Singleton(job_workers.ThreadedJobWorker)
    job_store = providers.Singleton(jobs.SqlAlchemyJobStore, engine=core.engine)
    rate_limit_headroom = providers.Singleton(_rate_limit_headroom)
    # a Factory: each scrape reads through the engine in service now
    operation_counts = providers.Factory(
        _operation_counts, engine=core.engine, headroom=rate_limit_headroom
    )
