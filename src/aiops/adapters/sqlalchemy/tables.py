"""SQLAlchemy Core tables; also alembic's target metadata."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


tenants = Table(
    "tenants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("color", String(7), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("username", String(32), nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("linux_username", String(32), nullable=True),
    # Moved on by UserRepository.revoke_sessions only; session cookies carry it.
    Column("session_generation", Integer, nullable=False, default=0, server_default="0"),
    # NULL (not an admin, or one from before issue 20), 'manual' or 'oidc' (from a group)
    Column("admin_source", String(8), nullable=True),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    # 'manual' (by hand) or 'oidc' (from the provider's groups, re-applied at each sign-in)
    Column("source", String(8), nullable=False, server_default="manual"),
    CheckConstraint("role IN ('owner', 'member', 'viewer')", name="role"),
    Index("ix_memberships_tenant_id", "tenant_id"),
)

# A user's account at an OpenID Connect provider (issue 20), found by (provider, subject).
user_identities = Table(
    "user_identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("email", String(254), nullable=True),  # as the provider gave it last
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_sign_in_at", UtcDateTime, nullable=True),
    UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),
    Index("ix_user_identities_user_id", "user_id"),
)

# One-time sign-in links (break-glass when password sign-in is off): only the secret's digest.
sign_in_links = Table(
    "sign_in_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("created_by", String(254), nullable=False),
    Index("ix_sign_in_links_user_id", "user_id"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False),
    Column("slug", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("repo_url", String(2048), nullable=True),
    Column("default_branch", String(255), nullable=False),
    Column(
        "identity_id",
        Integer,
        ForeignKey("ssh_identities.id", ondelete="SET NULL"),
        nullable=True,
    ),
    # The SecretBox's sealed https token (Fernet: ~1.4x the token, base64), never the token.
    Column("https_token_sealed", Text, nullable=True),
    # How a new workspace is cloned: "none" or "blob:none" (partial), and its depth (0: full).
    Column("clone_filter", String(16), nullable=False, server_default="none"),
    Column("clone_depth", Integer, nullable=False, server_default="0"),
    # The issue-to-PR loop (issue 19): open the pull request when the agent finishes with new
    # commits; send a "changes requested" review back to the agent.
    Column("auto_pull_request", Boolean, nullable=False, server_default=false()),
    Column("auto_review_to_agent", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("tenant_id", "slug", name="uq_projects_tenant_id_slug"),
    Index("ix_projects_identity_id", "identity_id"),
)

ssh_identities = Table(
    "ssh_identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("public_key", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("private_key_path", String(4096), nullable=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(254), nullable=False),
    Column("tenant", String(63), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(300), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_actor_at", "actor", "at"),
    Index("ix_audit_events_tenant_at", "tenant", "at"),
    Index("ix_audit_events_action_at", "action", "at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index("ix_api_tokens_user_id", "user_id"),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(300), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_login_failures_key_at", "key", "at"),
)

tracker_connections = Table(
    "tracker_connections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("base_url", String(2048), nullable=False),
    Column("key", String(300), nullable=False),
    # SecretBox-sealed: never the token or secret itself.
    Column("token_sealed", Text, nullable=False),
    Column("webhook_secret_sealed", Text, nullable=True),
    Column("token_saved_at", UtcDateTime, nullable=True),
    Column("cursor", UtcDateTime, nullable=True),
    Column("etag", String(300), nullable=True),
    Column("last_error", Text, nullable=True),
    CheckConstraint("provider IN ('github', 'gitlab', 'jira')", name="provider"),
    Index("ix_tracker_connections_project_id", "project_id"),
)

issues = Table(
    "issues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "connection_id",
        Integer,
        ForeignKey("tracker_connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("number", String(100), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("labels", JSON, nullable=False),
    Column("assignees", JSON, nullable=False),
    Column("url", String(2048), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Local triage: written by people, never by a sync.
    Column("triage_status", String(16), nullable=False),
    Column("severity", String(8), nullable=True),
    Column("owner_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("note", Text, nullable=False),
    UniqueConstraint("connection_id", "external_id", name="uq_issues_connection_id_external_id"),
    Index("ix_issues_project_id_updated_at", "project_id", "updated_at"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "connection_id",
        Integer,
        ForeignKey("tracker_connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("full", Boolean, nullable=False),
    Column("created", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("requests", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_sync_runs_connection_id_started_at", "connection_id", "started_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "connection_id",
        Integer,
        ForeignKey("tracker_connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("delivery_id", String(100), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("body_sha256", String(64)),  # the signed body's digest (None: recorded before 0013)
    UniqueConstraint(
        "connection_id", "delivery_id", name="uq_webhook_deliveries_connection_id_delivery_id"
    ),
    UniqueConstraint(
        "connection_id", "body_sha256", name="uq_webhook_deliveries_connection_id_body_sha256"
    ),
)

# One row: a constant sealed under the current secret key (see domain/usecases/secrets.py).
secret_key_probe = Table(
    "secret_key_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sealed", Text, nullable=False),
)

AGENT_STATUSES = "status IN ('working', 'waiting', 'finished', 'idle', 'exited', 'failed')"

# AI coding sessions launched in tmux (domain/model/sessions.py).
agent_sessions = Table(
    "agent_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("tool", String(16), nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column("linux_user", String(32), nullable=False),
    Column("tmux_socket", String(1024), nullable=False),
    Column("tmux_session", String(100), nullable=False),
    Column("tmux_window", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("last_activity", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("shared", Boolean, nullable=False, server_default=false()),
    Column("status_since", UtcDateTime, nullable=True),
    Column("status_source", String(8), nullable=False, server_default="pane"),
    CheckConstraint("tool IN ('codex', 'gemini', 'claude', 'shell')", name="tool"),
    CheckConstraint(AGENT_STATUSES, name="status"),
    CheckConstraint("status_source IN ('hook', 'pane')", name="status_source"),
    Index("ix_agent_sessions_project_id_status", "project_id", "status"),
)

# Every status a session went through, with the hook event behind it (issue 18).
agent_events = Table(
    "agent_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "session_id",
        Integer,
        ForeignKey("agent_sessions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(64), nullable=True),
    Column("event", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(8), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint(AGENT_STATUSES, name="status"),
    CheckConstraint("source IN ('hook', 'pane')", name="source"),
    UniqueConstraint("session_id", "event_id", name="uq_agent_events_session_id_event_id"),
    Index("ix_agent_events_session_id_id", "session_id", "id"),
)

# Scheduled jobs and their leases (domain/model/jobs.py, ports/jobs.py).
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("every_seconds", Integer, nullable=True),
    Column("cron", String(200), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("params", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("next_run", UtcDateTime, nullable=False),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("last_status", String(16), nullable=True),
    Column("last_started_at", UtcDateTime, nullable=True),
    Column("last_ended_at", UtcDateTime, nullable=True),
    Column("last_duration", Float, nullable=True),
    Column("last_error", Text, nullable=True),
    CheckConstraint("(every_seconds IS NULL) <> (cron IS NULL)", name="schedule"),
    CheckConstraint("last_status IN ('ok', 'failed')", name="last_status"),
    Index("ix_jobs_enabled_next_run", "enabled", "next_run"),
)

# Ansible runs and their events (domain/model/automation.py).
automation_runs = Table(
    "automation_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("playbook", String(64), nullable=False),
    Column("inventory", String(64), nullable=False),
    Column("host_limit", String(512), nullable=True),
    Column("tags", String(512), nullable=True),
    Column("check_mode", Boolean, nullable=False),
    Column("extra_vars", JSON, nullable=False),  # secret values masked
    Column("identity", String(63), nullable=True),
    Column("status", String(16), nullable=False),
    Column("rc", Integer, nullable=True),
    Column("started_by", String(255), nullable=False),
    Column("queued_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("summary", JSON, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("runner", String(255), nullable=True),  # host:pid:start time:pid namespace
    Column("runner_seen_at", UtcDateTime, nullable=True),  # the runner's last heartbeat
    Column("reason", Text, nullable=True),
    CheckConstraint(
        "status IN ('queued', 'running', 'successful', 'failed', 'cancelled', 'timeout')",
        name="status",
    ),
    # finds the few unfinished runs (queued, running) to check for a lost runner
    Index("ix_automation_runs_status", "status"),
)

# The primary key (run_id, seq) is the uniqueness rule and the index that reads a run's
# events after a seq.
run_events = Table(
    "run_events",
    metadata,
    Column(
        "run_id",
        Integer,
        ForeignKey("automation_runs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("event", String(64), nullable=False),
    Column("host", String(255), nullable=True),
    Column("task", Text, nullable=True),
    Column("status", String(16), nullable=True),
    Column("stdout", Text, nullable=False),
    Column("at", UtcDateTime, nullable=True),
)

# Worktrees: one git worktree per task (domain/model/worktrees.py).
worktrees = Table(
    "worktrees",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column("branch", String(255), nullable=False),
    Column("path", String(1024), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint(
        "user_id", "project_id", "branch", name="uq_worktrees_user_id_project_id_branch"
    ),
    UniqueConstraint("path", name="uq_worktrees_path"),
    Index("ix_worktrees_project_id", "project_id"),
)

# Notifications (issue 18, domain/model/notifications.py): where notices go, and each one on
# its way. The apprise URL is sealed (tokens, passwords); unique (target_id, dedup_key) is the
# deduplication (one "waiting" per wait).
notification_targets = Table(
    "notification_targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True),
    Column("label", String(100), nullable=False),
    Column("url_sealed", Text, nullable=False),
    Column("url_masked", String(300), nullable=False),
    Column("events", String(200), nullable=False),  # comma-separated NoticeEvent values
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_result", String(8), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_at", UtcDateTime, nullable=True),
    CheckConstraint("(user_id IS NULL) <> (tenant_id IS NULL)", name="owner"),
    Index("ix_notification_targets_user_id", "user_id"),
    Index("ix_notification_targets_tenant_id", "tenant_id"),
)

notice_deliveries = Table(
    "notice_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "target_id",
        Integer,
        ForeignKey("notification_targets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("dedup_key", String(255), nullable=False),
    Column("event", String(16), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500), nullable=True),
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("last_attempt_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
    UniqueConstraint("target_id", "dedup_key", name="uq_notice_deliveries_target_id_dedup_key"),
    Index("ix_notice_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

# From issue to merged pull request (issue 19, domain/model/pull_requests.py): the pull (merge)
# requests aiops opened, as their code host last reported them, one per (connection, number).
PULL_STATES = "state IN ('open', 'draft', 'merged', 'closed')"
pull_requests = Table(
    "pull_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column(
        "connection_id",
        Integer,
        ForeignKey("tracker_connections.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("provider", String(16), nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),  # GitHub's number, GitLab's iid
    Column("url", String(2048), nullable=False),
    Column("head", String(255), nullable=False),
    Column("base", String(255), nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("review", String(32), nullable=False),
    Column("checks", String(16), nullable=False),
    Column("checks_summary", Text, nullable=False),
    Column("failing_checks", JSON, nullable=False),  # the failing checks' names
    Column("unresolved", JSON, nullable=False),  # [{path, line, author, body, id}]
    Column("head_sha", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("provider IN ('github', 'gitlab')", name="provider"),
    CheckConstraint(PULL_STATES, name="state"),
    CheckConstraint(
        "review IN ('none', 'commented', 'approved', 'changes_requested')", name="review"
    ),
    CheckConstraint("checks IN ('none', 'pending', 'passing', 'failing')", name="checks"),
    UniqueConstraint("connection_id", "number", name="uq_pull_requests_connection_id_number"),
    Index("ix_pull_requests_project_id", "project_id"),
    Index("ix_pull_requests_issue_id", "issue_id"),
)

# The loop's writes to the outside world, each queued once under its key and retried with
# backoff until done (ports/unit_of_work.py LoopStepQueue).
loop_steps = Table(
    "loop_steps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("key", String(255), nullable=False),  # e.g. "comment:pr:5:merged"
    Column("issue_id", Integer, ForeignKey("issues.id", ondelete="SET NULL"), nullable=True),
    Column(
        "pull_request_id",
        Integer,
        ForeignKey("pull_requests.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("params", JSON, nullable=False),
    Column("actor", String(254), nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("result", Text, nullable=True),  # a pull request's URL, a comment's id
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime, nullable=True),
    CheckConstraint("kind IN ('open-pull-request', 'comment', 'review-to-agent')", name="kind"),
    CheckConstraint("state IN ('pending', 'done', 'failed')", name="state"),
    UniqueConstraint("key", name="uq_loop_steps_key"),
    Index("ix_loop_steps_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_loop_steps_issue_id", "issue_id"),
    Index("ix_loop_steps_pull_request_id", "pull_request_id"),
)
