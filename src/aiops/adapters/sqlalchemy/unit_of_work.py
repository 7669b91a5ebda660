"""SqlAlchemyUnitOfWork: one connection and one transaction per `with` block, read-only or
writing from its first statement (see engine.py for what that means on SQLite)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from aiops.adapters.sqlalchemy.agent_sessions import SqlAgentSessionRepository
from aiops.adapters.sqlalchemy.automation_runs import SqlAutomationRunRepository
from aiops.adapters.sqlalchemy.engine import READ_ONLY, unavailable
from aiops.adapters.sqlalchemy.jobs import SqlJobRepository
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
from aiops.adapters.sqlalchemy.webhook_deliveries import SqlWebhookDeliveryLog


class SqlAlchemyUnitOfWork:
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
    jobs: SqlJobRepository
    automation_runs: SqlAutomationRunRepository

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None

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
        self.tenants = SqlTenantRepository(connection)
        self.users = SqlUserRepository(connection)
        self.memberships = SqlMembershipRepository(connection)
        self.projects = SqlProjectRepository(connection)
        self.identities = SqlIdentityRepository(connection)
        self.audit = SqlAuditLog(connection)
        self.api_tokens = SqlApiTokenRepository(connection)
        self.login_failures = SqlLoginFailureLog(connection)
        self.trackers = SqlTrackerConnectionRepository(connection)
        self.issues = SqlIssueRepository(connection)
        self.sync_runs = SqlSyncRunLog(connection)
        self.webhook_deliveries = SqlWebhookDeliveryLog(connection)
        self.sealed_secrets = SqlSealedSecretStore(connection)
        self.agent_sessions = SqlAgentSessionRepository(connection)
        self.jobs = SqlJobRepository(connection)
        self.automation_runs = SqlAutomationRunRepository(connection)
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

    def commit(self) -> None:
        assert self._connection is not None, "commit() outside the `with` block"
        self._connection.commit()

    def rollback(self) -> None:
        if self._connection is not None:
            self._connection.rollback()
