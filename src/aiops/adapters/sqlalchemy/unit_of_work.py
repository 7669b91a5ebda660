"""SqlAlchemyUnitOfWork: one connection and one transaction per `with` block, read-only or
writing from its first statement (see engine.py for what that means on SQLite)."""

from __future__ import annotations

from importlib import import_module
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops.adapters.sqlalchemy.engine import READ_ONLY, unavailable

if TYPE_CHECKING:
    from aiops.adapters.sqlalchemy.agent_sessions import (
        SqlAgentEventRepository,
        SqlAgentSessionRepository,
    )
    from aiops.adapters.sqlalchemy.automation_runs import SqlAutomationRunRepository
    from aiops.adapters.sqlalchemy.jobs import SqlJobRepository
    from aiops.adapters.sqlalchemy.notifications import (
        SqlDeliveryQueue,
        SqlNotificationTargetRepository,
    )
    from aiops.adapters.sqlalchemy.pull_requests import SqlLoopStepQueue, SqlPullRequestRepository
    from aiops.adapters.sqlalchemy.repositories import (
        SqlApiTokenRepository,
        SqlAuditLog,
        SqlIdentityRepository,
        SqlIssueRepository,
        SqlLoginFailureLog,
        SqlMembershipRepository,
        SqlProjectRepository,
        SqlSyncRunLog,
        SqlTenantRepository,
        SqlTrackerConnectionRepository,
        SqlUserRepository,
    )
    from aiops.adapters.sqlalchemy.sealed_secrets import SqlSealedSecretStore
    from aiops.adapters.sqlalchemy.sign_ins import (
        SqlSignInLinkRepository,
        SqlUserIdentityRepository,
    )
    from aiops.adapters.sqlalchemy.webhook_deliveries import SqlWebhookDeliveryLog
    from aiops.adapters.sqlalchemy.worktrees import SqlWorktreeRepository


class _Repository:
    """A repository of the open unit of work, made (and its module imported) on first use in
    the `with` block: `aiops tenant list` loads neither the jobs' nor the runs' repositories
    and domain models (docs/adr/0002-fast-cli-start.md)."""

    def __init__(self, module: str, name: str) -> None:
        self._module = f"aiops.adapters.sqlalchemy.{module}"
        self._name = name
        self._attribute = name

    def __set_name__(self, owner: type, attribute: str) -> None:
        self._attribute = attribute

    def __get__(self, uow: SqlAlchemyUnitOfWork | None, owner: type | None = None) -> Any:
        if uow is None:
            return self
        made = uow._repositories.get(self._attribute)
        if made is None:
            assert uow._connection is not None, "a repository outside the `with` block"
            made = getattr(import_module(self._module), self._name)(uow._connection)
            uow._repositories[self._attribute] = made
        return made


class SqlAlchemyUnitOfWork:
    if TYPE_CHECKING:
        tenants: SqlTenantRepository
        users: SqlUserRepository
        memberships: SqlMembershipRepository
        projects: SqlProjectRepository
        identities: SqlIdentityRepository
        audit: SqlAuditLog
        api_tokens: SqlApiTokenRepository
        login_failures: SqlLoginFailureLog
        trackers: SqlTrackerConnectionRepository
        issues: SqlIssueRepository
        sync_runs: SqlSyncRunLog
        webhook_deliveries: SqlWebhookDeliveryLog
        sealed_secrets: SqlSealedSecretStore
        agent_sessions: SqlAgentSessionRepository
        agent_events: SqlAgentEventRepository
        jobs: SqlJobRepository
        automation_runs: SqlAutomationRunRepository
        worktrees: SqlWorktreeRepository
        notification_targets: SqlNotificationTargetRepository
        notice_deliveries: SqlDeliveryQueue
        pull_requests: SqlPullRequestRepository
        loop_steps: SqlLoopStepQueue
        user_identities: SqlUserIdentityRepository
        sign_in_links: SqlSignInLinkRepository
    else:
        tenants = _Repository("repositories", "SqlTenantRepository")
        users = _Repository("repositories", "SqlUserRepository")
        memberships = _Repository("repositories", "SqlMembershipRepository")
        projects = _Repository("repositories", "SqlProjectRepository")
        identities = _Repository("repositories", "SqlIdentityRepository")
        audit = _Repository("repositories", "SqlAuditLog")
        api_tokens = _Repository("repositories", "SqlApiTokenRepository")
        login_failures = _Repository("repositories", "SqlLoginFailureLog")
        trackers = _Repository("repositories", "SqlTrackerConnectionRepository")
        issues = _Repository("repositories", "SqlIssueRepository")
        sync_runs = _Repository("repositories", "SqlSyncRunLog")
        webhook_deliveries = _Repository("webhook_deliveries", "SqlWebhookDeliveryLog")
        sealed_secrets = _Repository("sealed_secrets", "SqlSealedSecretStore")
        agent_sessions = _Repository("agent_sessions", "SqlAgentSessionRepository")
        agent_events = _Repository("agent_sessions", "SqlAgentEventRepository")
        jobs = _Repository("jobs", "SqlJobRepository")
        automation_runs = _Repository("automation_runs", "SqlAutomationRunRepository")
        worktrees = _Repository("worktrees", "SqlWorktreeRepository")
        notification_targets = _Repository("notifications", "SqlNotificationTargetRepository")
        notice_deliveries = _Repository("notifications", "SqlDeliveryQueue")
        pull_requests = _Repository("pull_requests", "SqlPullRequestRepository")
        loop_steps = _Repository("pull_requests", "SqlLoopStepQueue")
        user_identities = _Repository("sign_ins", "SqlUserIdentityRepository")
        sign_in_links = _Repository("sign_ins", "SqlSignInLinkRepository")

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None
        self._repositories: dict[str, Any] = {}

    def __enter__(self) -> Self:
        try:
            connection = self._engine.connect()
        except DBAPIError as error:
            raise unavailable(self._engine, error) from None
        if self._read_only:
            # SQLite: query_only and a deferred BEGIN (engine.py). PostgreSQL's readers never
            # wait for writers; a READ ONLY transaction would cost it a command per unit of work.
            connection.execution_options(**{READ_ONLY: True})
        try:
            connection.begin()  # a writer waits here for the lock (DatabaseBusy after the timeout)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        self._repositories = {}
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._connection is None:
            return
        try:
            self._connection.rollback()  # a no-op after commit(); undoes everything otherwise
        finally:
            self._connection.close()
            self._connection = None
            self._repositories = {}

    def commit(self) -> None:
        assert self._connection is not None, "commit() outside the `with` block"
        self._connection.commit()

    def rollback(self) -> None:
        if self._connection is not None:
            self._connection.rollback()
