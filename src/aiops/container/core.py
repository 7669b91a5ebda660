"""The core every use case shares: settings, the database, the clock, secrets and the
policies read from the settings."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from aiops.config import ConfigError, Settings, load_settings
from aiops.container._lazy import modules

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from aiops.adapters import argon2_hasher, fernet_secret_box, system_clock
    from aiops.adapters.hmac_session_tokens import HmacSessionTokens
    from aiops.adapters.sqlalchemy import unit_of_work
    from aiops.domain.model.workspaces import WorkspacePolicy
    from aiops.domain.usecases.automation import AutomationPolicy
    from aiops.domain.usecases.jobs import RunnerPolicy
    from aiops.domain.usecases.sessions import SessionPolicy
else:
    argon2_hasher, fernet_secret_box, system_clock = modules(
        "aiops.adapters", "argon2_hasher", "fernet_secret_box", "system_clock"
    )
    (unit_of_work,) = modules("aiops.adapters.sqlalchemy", "unit_of_work")


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


def _session_tokens(secret_key: str) -> HmacSessionTokens:
    from aiops.adapters.hmac_session_tokens import HmacSessionTokens

    return HmacSessionTokens(secret_key)


def _workspace_policy(settings: Settings) -> WorkspacePolicy:
    from aiops.domain.model.workspaces import WorkspacePolicy

    return WorkspacePolicy(
        root=PurePosixPath(settings.workspace_root),
        linux_user_strategy=settings.linux_user_strategy,
        linux_user_mapping=settings.linux_user_mapping,
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
        event_socket=settings.event_socket,
        url=settings.url.rstrip("/"),
    )


def _automation_policy(settings: Settings) -> AutomationPolicy:
    from aiops.domain.usecases.automation import AutomationPolicy

    return AutomationPolicy(
        playbooks=settings.playbook_list,
        project_inventories=settings.project_inventories,
        timeout_seconds=settings.playbook_timeout,
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


class Core(containers.DeclarativeContainer):
    settings = providers.Singleton(load_settings)
    engine = providers.Resource(_engine, settings=settings)
    uow = providers.Factory(unit_of_work.SqlAlchemyUnitOfWork, engine=engine)
    clock = providers.Singleton(system_clock.SystemClock)
    secret_key = providers.Singleton(_secret_key, settings=settings)
    secret_box = providers.Singleton(fernet_secret_box.FernetSecretBox, secret_key=secret_key)
    hasher = providers.Singleton(
        argon2_hasher.Argon2PasswordHasher,
        time_cost=settings.provided.argon2_time_cost,
        memory_cost_kib=settings.provided.argon2_memory_kib,
        parallelism=settings.provided.argon2_parallelism,
    )
    session_tokens = providers.Singleton(_session_tokens, secret_key=secret_key)
    workspace_policy = providers.Singleton(_workspace_policy, settings=settings)
    session_policy = providers.Singleton(
        _session_policy, settings=settings, workspace_policy=workspace_policy
    )
    automation_policy = providers.Singleton(_automation_policy, settings=settings)
    runner_policy = providers.Singleton(_runner_policy, settings=settings)
