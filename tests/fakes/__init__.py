"""In-memory fakes of the ports, one module per port. They implement the same Protocols as the
adapters, keep the same uniqueness rules, and record effects so tests assert on state, never on
call order."""

from tests.fakes.agent_context import FakeAgentContextFiles, OwnAccountAgentContexts
from tests.fakes.automation import FakePlaybookCatalogue, FakePlaybookRunner, FakeRunnerProcesses
from tests.fakes.basics import FakeClock, FakePasswordHasher, FakeSecretBox
from tests.fakes.cli_installer import FakeCliInstaller
from tests.fakes.credentials import FakeCredentialStore
from tests.fakes.git import FakeClone, FakeGitWorkspaces, FakeGitWorktrees, GitAsAiops
from tests.fakes.job_worker import FakeJobWorker, FakeStop
from tests.fakes.key_store import FakeKeyFile, FakeKeyStore
from tests.fakes.linux_users import FakeLinuxUsers
from tests.fakes.locks import FakeLocks
from tests.fakes.notifications import (
    CountingWakeup,
    FakeDeliveryQueue,
    FakeNotificationTargets,
    FakeNotifier,
)
from tests.fakes.operation_counts import FakeOperationCounts, FakeRateLimitHeadroom
from tests.fakes.remote_hosts import FakeRemoteHosts
from tests.fakes.run_recording import FakeRunRecorders, FakeRunRecording
from tests.fakes.terminals import FakeTerminalClient, FakeTerminals
from tests.fakes.tmux import FakeTmuxSessions
from tests.fakes.trackers import FakeIssueTracker
from tests.fakes.unit_of_work import (
    FakeAgentSessionRepository,
    FakeApiTokenRepository,
    FakeAuditLog,
    FakeAutomationRunRepository,
    FakeIdentityRepository,
    FakeIssueRepository,
    FakeJobRepository,
    FakeJobStore,
    FakeLoginFailureLog,
    FakeMembershipRepository,
    FakeProjectRepository,
    FakeSealedSecretStore,
    FakeSyncRunLog,
    FakeTenantRepository,
    FakeTrackerConnectionRepository,
    FakeUnitOfWork,
    FakeUserRepository,
    FakeWebhookDeliveryLog,
    State,
)

__all__ = [
    "CountingWakeup",
    "FakeAgentContextFiles",
    "FakeAgentSessionRepository",
    "FakeApiTokenRepository",
    "FakeAuditLog",
    "FakeAutomationRunRepository",
    "FakeCliInstaller",
    "FakeClock",
    "FakeClone",
    "FakeCredentialStore",
    "FakeDeliveryQueue",
    "FakeGitWorkspaces",
    "FakeGitWorktrees",
    "FakeIdentityRepository",
    "FakeIssueRepository",
    "FakeIssueTracker",
    "FakeJobRepository",
    "FakeJobStore",
    "FakeJobWorker",
    "FakeKeyFile",
    "FakeKeyStore",
    "FakeLinuxUsers",
    "FakeLocks",
    "FakeLoginFailureLog",
    "FakeMembershipRepository",
    "FakeNotificationTargets",
    "FakeNotifier",
    "FakeOperationCounts",
    "FakePasswordHasher",
    "FakePlaybookCatalogue",
    "FakePlaybookRunner",
    "FakeProjectRepository",
    "FakeRateLimitHeadroom",
    "FakeRemoteHosts",
    "FakeRunRecorders",
    "FakeRunRecording",
    "FakeRunnerProcesses",
    "FakeSealedSecretStore",
    "FakeSecretBox",
    "FakeStop",
    "FakeSyncRunLog",
    "FakeTenantRepository",
    "FakeTerminalClient",
    "FakeTerminals",
    "FakeTmuxSessions",
    "FakeTrackerConnectionRepository",
    "FakeUnitOfWork",
    "FakeUserRepository",
    "FakeWebhookDeliveryLog",
    "GitAsAiops",
    "OwnAccountAgentContexts",
    "State",
]
