"""Every route, every role, the expected status. A route without a row fails the build.

Roles: anonymous, viewer/member/owner of acme, owner of globex (another tenant), global admin.
Paths are filled with acme's resources, so "owner of another tenant" is the escalation case.
Browser routes get the session's CSRF token; API routes a bearer token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from dependency_injector import providers
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient

from aiops.container import Container
from aiops.domain.model.automation import AutomationRun, HostSummary, RunEvent, RunStatus
from aiops.domain.model.pull_requests import PullRequest, PullState
from aiops.domain.model.trackers import Issue, IssueState, Provider, RemoteIssue
from aiops.domain.usecases._workspace import WorkspaceRef
from aiops.domain.usecases.auth import CreateTokenCommand
from aiops.domain.usecases.jobs import AddJobCommand
from aiops.domain.usecases.notifications import AddTargetCommand, TargetOwner
from aiops.domain.usecases.projects import UpdateProjectCommand
from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.domain.usecases.worktrees import AddWorktreeCommand
from aiops.entrypoints.http.app import create_app
from tests.fakes import FakeLinuxUsers, FakeTmuxSessions, GitAsAiops, OwnAccountAgentContexts
from tests.fakes.agent_status import FakeAgentHooks
from tests.integration.git.conftest import make_remote
from tests.integration.http.conftest import World, csrf, sign_in
from tests.strategies import public_key

ROLES = {
    "anonymous": None,
    "viewer": World.VIEWER,
    "member": World.MEMBER,
    "owner": World.OWNER,
    "other_owner": World.OTHER_OWNER,
    "admin": World.ADMIN,
}
Body = Callable[[str], dict[str, Any]]


def everyone(status: int, anonymous: int | None = None) -> dict[str, int]:
    return {
        role: (anonymous if role == "anonymous" and anonymous is not None else status)
        for role in ROLES
    }


def only(allowed: dict[str, int], others: int, anonymous: int) -> dict[str, int]:
    return {role: allowed.get(role, anonymous if role == "anonymous" else others) for role in ROLES}


def slug(role: str) -> str:
    return role.replace("_", "-")


# Reading and managing acme's resources (paths are filled with acme's slug and ids).
SEES_ACME = only(
    {"viewer": 200, "member": 200, "owner": 200, "admin": 200}, others=404, anonymous=401
)
MANAGES_ACME = only(
    {"owner": 200, "admin": 200, "viewer": 403, "member": 403}, others=404, anonymous=401
)

# Admin pages (anonymous visitors are sent to /login: 303).
MANAGERS = only({"owner": 200, "other_owner": 200, "admin": 200}, others=403, anonymous=303)
ACME_MANAGERS_PAGE = only(
    {"owner": 200, "admin": 200, "other_owner": 404}, others=403, anonymous=303
)
ACME_MANAGERS_POST = only(
    {"owner": 303, "admin": 303, "other_owner": 404}, others=403, anonymous=303
)
ADMINS_200 = only({"admin": 200}, others=403, anonymous=303)

# Workspaces: member, owner and admin have one (the test makes them); a viewer may not
# create one; another tenant's owner cannot see the project. Card forms redirect (303).
USES_WEB_PAGE = only(
    {"member": 303, "owner": 303, "admin": 303, "viewer": 403}, others=404, anonymous=303
)
USES_WEB_API = only(
    {"member": 200, "owner": 200, "admin": 200, "viewer": 403}, others=404, anonymous=401
)
READS_OWN_WORKSPACE = only({"member": 200, "owner": 200, "admin": 200}, others=404, anonymous=401)
WORKSPACE = "/projects/{project_id:int}/workspace"
REMOTE = {"url": ""}  # acme/web's remote, made per test by with_workspaces
ISSUE = {"id": 0}  # an issue of acme/web, made per test by with_an_issue
# acme/web's tracker connection (with_an_issue) and a spare one for the remove row, so the
# rows sorted after it still find theirs. Both point at loopback, which the network guard
# refuses at once: "Test connection" never leaves the machine.
TRACKER = {"project": 0, "connection": 0, "spare": 0}
TRACKER_URL = "http://127.0.0.1:9"
API_WORKSPACE = "/api/v1" + WORKSPACE
BRANCH_BODIES: dict[str, Body | None] = {
    "fetch": None,
    "pull": None,
    "push": None,
    "checkout": lambda role: {"branch": "main"},
    "create-branch": lambda role: {"branch": f"new-{slug(role)}", "from": "origin/main"},
    "merge": lambda role: {"branch": "main"},
}
ADMINS_303 = only({"admin": 303}, others=403, anonymous=303)
# AI CLI installs: the matrix asks for a shell (refused: nothing is ever installed here) and
# for a run that does not exist.
CLI_TOOL = "shell"
CLI_RUN = 999
# The member's AI session in acme/web (with_a_session): theirs, and visible to acme's owner
# and the admin; nobody else learns it exists.
SESSION = {"id": 0}
SEES_SESSION = only({"member": 200, "owner": 200, "admin": 200}, others=404, anonymous=303)
STOPS_SESSION = only({"member": 303, "owner": 303, "admin": 303}, others=404, anonymous=303)
SEES_SESSION_API = only({"member": 200, "owner": 200, "admin": 200}, others=404, anonymous=401)
JOB = "matrix-resync"
# The member's worktree of acme/web (with_a_worktree): the member and the admin remove it;
# acme's owner sees it listed but may not act as the member; nobody else learns it exists.
WORKTREE = {"id": 0, "card": 0}  # one for the API's DELETE row, one for the card's form
API_WORKTREES = "/api/v1/projects/{project_id:int}/worktrees"
REMOVES_WORKTREE = only({"member": 200, "admin": 200, "owner": 403}, others=404, anonymous=401)

# Automation: global admins run and cancel; admins and every tenant owner see playbooks, runs
# and events (runs belong to no tenant); members and viewers are refused. The matrix's run
# (with_a_run) has finished, so its event stream ends at once and a cancel is refused (the
# page says so and goes back to the run: 303; the API answers 409). Starting a run is asked
# for a playbook off the allowlist, so nothing ever runs here.
RUN = {"id": 0}
SEES_RUNS_PAGE = only({"owner": 200, "other_owner": 200, "admin": 200}, others=403, anonymous=303)
SEES_RUNS_API = only({"owner": 200, "other_owner": 200, "admin": 200}, others=403, anonymous=401)

# Notification targets (with_notification_targets): the owner's own, and acme's tenant-wide
# ones; a spare of each for the remove rows, so the test rows sorted after them find theirs.
TARGETS = {"own": 0, "own_spare": 0, "acme": 0, "acme_spare": 0}
OWN_TARGET = only({"owner": 303, "admin": 303}, others=404, anonymous=303)
TARGET_URL = "json://127.0.0.1:9/matrix"

# The issue-to-PR loop (issue 19). Work on acme/web's issue: members, owners and admins for
# themselves (201); a pull request for it: nobody has the issue's worktree yet (409); the
# member's pull request (with_a_pull_request) has no review to send (409); viewers see only.
PULL_REQUEST = {"id": 0}
WORKS_ON_ISSUE = only(
    {"member": 201, "owner": 201, "admin": 201, "viewer": 403}, others=404, anonymous=401
)
REFUSED_BY_STATE = only(
    {"member": 409, "owner": 409, "admin": 409, "viewer": 403}, others=404, anonymous=401
)

# (method, path template) -> (expected status by role, form/JSON body for the role)
MATRIX: dict[tuple[str, str], tuple[dict[str, int], Body | None]] = {
    ("GET", "/healthz"): (everyone(200), None),
    ("GET", "/readyz"): (everyone(200), None),
    # No AIOPS_METRICS_TOKEN: loopback clients only, and the test client is not one; a session
    # is never a way in (tests/integration/http/test_metrics.py has the rest).
    ("GET", "/metrics"): (everyone(404), None),
    ("GET", "/login"): (everyone(303, anonymous=200), None),
    ("POST", "/login"): (
        everyone(401),
        lambda role: {"email": "ghost@example.com", "password": "wrong"},
    ),
    ("POST", "/logout"): (everyone(303), lambda role: {}),
    # No OpenID Connect provider is configured here: every name is unknown (test_oidc_*.py).
    ("GET", "/login/oidc/{name}"): (everyone(404), None),
    ("GET", "/login/oidc/{name}/callback"): (everyone(404), None),
    # A sign-in link's page spends nothing; an unknown link is refused whoever posts it.
    ("GET", "/login/link/{secret}"): (everyone(200), None),
    ("POST", "/login/link/{secret}"): (everyone(401), lambda role: {}),
    ("GET", "/"): (everyone(200, anonymous=303), None),
    ("GET", "/profile"): (everyone(200, anonymous=303), None),
    ("POST", "/profile/password"): (
        everyone(400, anonymous=303),
        lambda role: {
            "current_password": "wrong",
            "new_password": "x" * 14,
            "confirm_password": "x" * 14,
        },
    ),
    ("POST", "/profile/tokens"): (everyone(200, anonymous=303), lambda role: {"name": f"m-{role}"}),
    ("POST", "/profile/tokens/{token_id:int}/revoke"): (
        only({"owner": 303, "admin": 303}, others=404, anonymous=303),
        lambda role: {},
    ),
    # Admin pages: admins everything; owners their tenants; members and viewers nothing.
    ("GET", "/admin/tenants"): (MANAGERS, None),
    ("POST", "/admin/tenants"): (
        ADMINS_303,
        lambda role: {"slug": f"t-{slug(role)}", "name": "T", "color": "#000000"},
    ),
    ("GET", "/admin/tenants/{slug}"): (ACME_MANAGERS_PAGE, None),
    ("POST", "/admin/tenants/{slug}"): (
        ACME_MANAGERS_POST,
        lambda role: {"name": "Acme", "color": "#ff8800"},
    ),
    ("GET", "/admin/projects"): (MANAGERS, None),
    ("POST", "/admin/projects"): (
        ACME_MANAGERS_POST,
        lambda role: {"tenant": "acme", "slug": f"page-{slug(role)}", "name": "P"},
    ),
    ("GET", "/admin/projects/{project_id:int}"): (ACME_MANAGERS_PAGE, None),
    ("POST", "/admin/projects/{project_id:int}"): (
        ACME_MANAGERS_POST,
        lambda role: {"name": "Web", "repo_url": REMOTE["url"], "default_branch": "main"},
    ),
    ("GET", "/admin/memberships"): (MANAGERS, None),
    ("POST", "/admin/memberships"): (
        ACME_MANAGERS_POST,
        lambda role: {"tenant": "acme", "email": World.NOBODY, "role": "viewer"},
    ),
    ("GET", "/admin/identities"): (MANAGERS, None),
    ("POST", "/admin/identities"): (
        ADMINS_303,
        lambda role: {"name": f"k-{slug(role)}", "public_key": public_key(key=role.encode())},
    ),
    ("GET", "/admin/trackers"): (MANAGERS, None),
    ("POST", "/admin/trackers"): (
        ACME_MANAGERS_POST,
        lambda role: {
            "project_id": str(TRACKER["project"]),
            "provider": "github",
            "base_url": TRACKER_URL,
            "key": f"acme/{slug(role)}",
            "token": "matrix-token",
        },
    ),
    ("POST", "/admin/trackers/{connection_id:int}/secrets"): (
        ACME_MANAGERS_POST,
        lambda role: {"token": f"new-{slug(role)}"},
    ),
    ("POST", "/admin/trackers/{connection_id:int}/test"): (ACME_MANAGERS_POST, lambda role: {}),
    ("POST", "/admin/trackers/{connection_id:int}/remove"): (ACME_MANAGERS_POST, lambda role: {}),
    ("GET", "/admin/users"): (ADMINS_200, None),
    ("POST", "/admin/users"): (
        ADMINS_200,
        lambda role: {"email": f"u-{slug(role)}@example.com", "name": "U"},
    ),
    ("POST", "/admin/users/{user_id:int}/password"): (ADMINS_200, lambda role: {}),
    ("POST", "/admin/users/{user_id:int}/sign-out"): (ADMINS_303, lambda role: {}),
    ("POST", "/admin/users/{user_id:int}/admin"): (ADMINS_303, lambda role: {"is_admin": "false"}),
    ("GET", "/admin/settings"): (ADMINS_200, None),
    ("POST", "/admin/cli-tools/{tool}/install"): (ADMINS_303, lambda role: {}),
    ("GET", "/admin/cli-tools/runs/{run_id:int}"): (
        only({"admin": 404}, others=403, anonymous=303),
        None,
    ),
    ("GET", "/admin/cli-tools/runs/{run_id:int}/output"): (
        only({"admin": 404}, others=403, anonymous=303),
        None,
    ),
    ("POST", "/admin/credentials/{tool}"): (
        ADMINS_303,
        lambda role: {"user_id": "1", "key": f"sk-ant-oat01-matrix-{slug(role)}-0123456789"},
    ),
    ("POST", "/admin/tmux/resync"): (ADMINS_303, lambda role: {"dry_run": "1"}),
    ("POST", "/admin/settings/oidc/{name}/test"): (ADMINS_303, lambda role: {}),
    ("GET", "/admin/audit"): (ADMINS_200, None),
    # Scheduled jobs: global admins only (the job is made by with_a_job).
    ("GET", "/admin/jobs"): (ADMINS_200, None),
    ("POST", "/admin/jobs/{name}/run"): (ADMINS_303, lambda role: {}),
    ("POST", "/admin/jobs/{name}/enable"): (ADMINS_303, lambda role: {}),
    ("POST", "/admin/jobs/{name}/disable"): (ADMINS_303, lambda role: {}),
    # The JSON API: anonymous gets 401; another tenant's resources are 404.
    ("GET", "/api/v1/openapi.json"): (everyone(200), None),
    ("GET", "/api/v1/users/me"): (everyone(200, anonymous=401), None),
    ("GET", "/api/v1/tenants"): (everyone(200, anonymous=401), None),
    ("POST", "/api/v1/tenants"): (
        only({"admin": 201}, others=403, anonymous=401),
        lambda role: {"slug": f"new-{slug(role)}", "name": "New"},
    ),
    ("GET", "/api/v1/tenants/{slug}"): (SEES_ACME, None),
    ("PATCH", "/api/v1/tenants/{slug}"): (MANAGES_ACME, lambda role: {"name": "Acme"}),
    ("GET", "/api/v1/tenants/{slug}/members"): (SEES_ACME, None),
    ("PUT", "/api/v1/tenants/{slug}/members"): (
        MANAGES_ACME,
        lambda role: {"email": World.NOBODY, "role": "viewer"},
    ),
    ("GET", "/api/v1/projects"): (everyone(200, anonymous=401), None),
    ("POST", "/api/v1/projects"): (
        {**MANAGES_ACME, "owner": 201, "admin": 201},
        lambda role: {"tenant": "acme", "slug": f"p-{slug(role)}", "name": "P"},
    ),
    ("GET", "/api/v1/projects/{project_id:int}"): (SEES_ACME, None),
    ("PATCH", "/api/v1/projects/{project_id:int}"): (MANAGES_ACME, lambda role: {"name": "Web"}),
    ("POST", WORKSPACE): (USES_WEB_PAGE, lambda role: {}),
    **{
        ("POST", f"{WORKSPACE}/{op}"): (USES_WEB_PAGE, body or (lambda role: {}))
        for op, body in BRANCH_BODIES.items()
    },
    ("GET", API_WORKSPACE): (READS_OWN_WORKSPACE, None),
    ("POST", API_WORKSPACE): (USES_WEB_API, None),
    ("GET", f"{API_WORKSPACE}/branches"): (READS_OWN_WORKSPACE, None),
    # Nothing is being cloned or fetched in the matrix: a cancel is refused (the card says so,
    # 303; the API answers 409); the card's progress is null for whoever may view the project.
    ("POST", f"{WORKSPACE}/cancel"): (USES_WEB_PAGE, lambda role: {}),
    ("GET", f"{WORKSPACE}/progress"): (
        only({"member": 200, "owner": 200, "admin": 200, "viewer": 200}, others=404, anonymous=303),
        None,
    ),
    ("POST", f"{API_WORKSPACE}/cancel"): (
        only({"member": 409, "owner": 409, "admin": 409, "viewer": 403}, others=404, anonymous=401),
        None,
    ),
    **{
        ("POST", f"{API_WORKSPACE}/{op}"): (USES_WEB_API, body)
        for op, body in BRANCH_BODIES.items()
    },
    ("GET", API_WORKTREES): (SEES_ACME, None),
    ("POST", "/projects/{project_id:int}/worktrees"): (
        USES_WEB_PAGE,
        lambda role: {"branch": f"card-{slug(role)}"},
    ),
    ("POST", "/projects/{project_id:int}/worktrees/{worktree_id:int}/remove"): (
        only({"member": 303, "admin": 303, "owner": 403}, others=404, anonymous=303),
        lambda role: {},
    ),
    ("POST", API_WORKTREES): (
        only({"member": 201, "owner": 201, "admin": 201, "viewer": 403}, others=404, anonymous=401),
        lambda role: {"branch": f"wt-{slug(role)}"},
    ),
    ("DELETE", f"{API_WORKTREES}/{{worktree_id:int}}"): (REMOVES_WORKTREE, None),
    ("GET", "/api/v1/identities"): (
        only({"owner": 200, "other_owner": 200, "admin": 200}, others=403, anonymous=401),
        None,
    ),
    ("GET", "/issues"): (everyone(200, anonymous=303), None),
    ("POST", "/issues/triage"): (
        only({"member": 303, "owner": 303, "admin": 303, "viewer": 403}, others=404, anonymous=303),
        lambda role: {"issue": str(ISSUE["id"]), "status": "triaged"},
    ),
    # The issue into the user's own workspace (member, owner and admin have one).
    ("POST", "/issues/{issue_id:int}/agent-context"): (
        only({"member": 303, "owner": 303, "admin": 303, "viewer": 403}, others=404, anonymous=303),
        lambda role: {"next": "/issues"},
    ),
    ("POST", "/api/v1/issues/{issue_id:int}/agent-context"): (
        USES_WEB_API,
        lambda role: {"notes": f"from {role}"},
    ),
    ("GET", "/api/v1/issues"): (everyone(200, anonymous=401), None),
    ("PATCH", "/api/v1/issues/{issue_id:int}"): (USES_WEB_API, lambda role: {"status": "triaged"}),
    ("GET", "/api/v1/users"): (only({"admin": 200}, others=403, anonymous=401), None),
    ("POST", "/api/v1/users"): (
        only({"admin": 201}, others=403, anonymous=401),
        lambda role: {"email": f"new-{slug(role)}@example.com", "name": "New"},
    ),
    # Tracker webhooks: the signature is the only credential, so every role (session or not)
    # gets the same 401 for an unsigned delivery.
    ("GET", "/sessions"): (everyone(200, anonymous=303), None),
    ("POST", "/sessions"): (USES_WEB_PAGE, lambda role: {"project": "{project}", "tool": "shell"}),
    ("GET", "/sessions/{session_id:int}"): (SEES_SESSION, None),
    ("GET", "/sessions/{session_id:int}/pane"): (SEES_SESSION, None),
    ("POST", "/sessions/{session_id:int}/stop"): (STOPS_SESSION, lambda role: {}),
    ("POST", "/sessions/{session_id:int}/share"): (STOPS_SESSION, lambda role: {"shared": "true"}),
    ("GET", "/api/v1/sessions"): (everyone(200, anonymous=401), None),
    ("POST", "/api/v1/sessions"): (
        only({"member": 201, "owner": 201, "admin": 201, "viewer": 403}, others=404, anonymous=401),
        lambda role: {"project_id": "{project}", "tool": "shell"},
    ),
    ("GET", "/api/v1/sessions/{session_id:int}"): (SEES_SESSION_API, None),
    ("PATCH", "/api/v1/sessions/{session_id:int}"): (
        SEES_SESSION_API,
        lambda role: {"shared": True},
    ),
    ("DELETE", "/api/v1/sessions/{session_id:int}"): (SEES_SESSION_API, None),
    ("GET", "/api/v1/sessions/{session_id:int}/events"): (SEES_SESSION_API, None),
    # Agent events: a session's token is the only credential; a personal access token (any
    # role) is not one, so everyone gets the same 401.
    ("POST", "/api/v1/agent-events"): (
        everyone(401),
        lambda role: {
            "session_id": 1,
            "tool": "claude",
            "event": "Stop",
            "event_id": "0" * 32,
            "sent_at": "2026-12-03T00:00:00+00:00",
        },
    ),
    ("GET", "/automation"): (SEES_RUNS_PAGE, None),
    ("POST", "/automation/runs"): (
        only({"admin": 400}, others=403, anonymous=303),
        lambda role: {"playbook": "not-allowlisted"},
    ),
    ("GET", "/automation/runs/{run_id:int}"): (SEES_RUNS_PAGE, None),
    ("GET", "/automation/runs/{run_id:int}/events"): (SEES_RUNS_PAGE, None),
    ("POST", "/automation/runs/{run_id:int}/cancel"): (ADMINS_303, lambda role: {}),
    ("GET", "/api/v1/playbooks"): (SEES_RUNS_API, None),
    ("GET", "/api/v1/runs"): (SEES_RUNS_API, None),
    ("POST", "/api/v1/runs"): (
        only({"admin": 409}, others=403, anonymous=401),
        lambda role: {"playbook": "not-allowlisted"},
    ),
    ("GET", "/api/v1/runs/{run_id:int}"): (SEES_RUNS_API, None),
    ("GET", "/api/v1/runs/{run_id:int}/events"): (SEES_RUNS_API, None),
    ("POST", "/api/v1/runs/{run_id:int}/cancel"): (
        only({"admin": 409}, others=403, anonymous=401),
        None,
    ),
    ("POST", "/profile/notifications"): (
        everyone(303),
        lambda role: {"url": TARGET_URL, "events": "waiting"},
    ),
    ("POST", "/profile/notifications/{target_id:int}/remove"): (OWN_TARGET, lambda role: {}),
    ("POST", "/profile/notifications/{target_id:int}/test"): (OWN_TARGET, lambda role: {}),
    ("GET", "/admin/tenants/{slug}/notifications"): (ACME_MANAGERS_PAGE, None),
    ("POST", "/admin/tenants/{slug}/notifications"): (
        ACME_MANAGERS_POST,
        lambda role: {"url": TARGET_URL, "events": "run-failed"},
    ),
    ("POST", "/admin/tenants/{slug}/notifications/{target_id:int}/remove"): (
        ACME_MANAGERS_POST,
        lambda role: {},
    ),
    ("POST", "/admin/tenants/{slug}/notifications/{target_id:int}/test"): (
        ACME_MANAGERS_POST,
        lambda role: {},
    ),
    ("POST", "/api/v1/issues/{issue_id:int}/work"): (
        WORKS_ON_ISSUE,
        lambda role: {"tool": "shell"},
    ),
    ("POST", "/api/v1/issues/{issue_id:int}/pull-request"): (REFUSED_BY_STATE, lambda role: {}),
    ("GET", "/api/v1/pull-requests"): (everyone(200, anonymous=401), None),
    ("POST", "/api/v1/pull-requests/{pull_request_id:int}/review-to-agent"): (
        REFUSED_BY_STATE,
        None,
    ),
    # The loop's page forms: a refusal the user can act on is a flash message (303), as is
    # success; viewers 403, another tenant 404.
    ("POST", "/issues/{issue_id:int}/work"): (USES_WEB_PAGE, lambda role: {"tool": "shell"}),
    ("POST", "/issues/{issue_id:int}/pull-request"): (USES_WEB_PAGE, lambda role: {}),
    ("POST", "/pull-requests/{pull_request_id:int}/review-to-agent"): (
        USES_WEB_PAGE,
        lambda role: {},
    ),
    ("POST", "/hooks/github"): (everyone(401), lambda role: {}),
    ("POST", "/hooks/gitlab"): (everyone(401), lambda role: {}),
    ("POST", "/hooks/jira"): (everyone(401), lambda role: {}),
}


def concrete(path: str, app: Container, world: World, revocable: int) -> str:
    member = next(u for u in app.list_users()() if u.email == World.MEMBER)
    return (
        path.replace("{slug}", "acme")
        .replace("{project_id:int}", str(world.web_id))
        .replace("{user_id:int}", str(member.id))
        .replace("{token_id:int}", str(revocable))
        .replace("{issue_id:int}", str(ISSUE["id"]))
        .replace("/admin/credentials/{tool}", "/admin/credentials/claude")
        .replace("{tool}", CLI_TOOL)
        .replace("/automation/runs/{run_id:int}", f"/automation/runs/{RUN['id']}")
        .replace("/api/v1/runs/{run_id:int}", f"/api/v1/runs/{RUN['id']}")
        .replace("{run_id:int}", str(CLI_RUN))
        .replace("{connection_id:int}/remove", f"{TRACKER['spare']}/remove")
        .replace("{connection_id:int}", str(TRACKER["connection"]))
        .replace("{session_id:int}", str(SESSION["id"]))
        .replace("{pull_request_id:int}", str(PULL_REQUEST["id"]))
        .replace("{name}", JOB)
        .replace("{worktree_id:int}/remove", f"{WORKTREE['card']}/remove")
        .replace("{worktree_id:int}", str(WORKTREE["id"]))
        .replace("notifications/{target_id:int}/remove", target_path(path, "_spare") + "/remove")
        .replace("notifications/{target_id:int}", target_path(path, ""))
    )


def target_path(path: str, spare: str) -> str:
    """notifications/<id> of the owner's target (Profile) or acme's (Admin)."""
    which = "acme" if path.startswith("/admin/") else "own"
    return f"notifications/{TARGETS[which + spare]}"


def with_notification_targets(app: Container) -> None:
    for key in TARGETS:
        owner = (
            TargetOwner(tenant_slug="acme")
            if key.startswith("acme")
            else TargetOwner(user_email=World.OWNER)
        )
        events = "run-failed" if key.startswith("acme") else "waiting"
        target = app.add_notification_target()(
            AddTargetCommand(owner=owner, url=TARGET_URL, events=events)
        )
        assert target.id is not None
        TARGETS[key] = target.id


def app_routes() -> set[tuple[str, str]]:
    found = set()
    for route in create_app_routes():
        if isinstance(route, Mount | WebSocketRoute):  # the terminal: test_terminal.py
            continue
        if route.path == "/events/sessions":  # a stream that never ends: test_live.py, each role
            continue
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def create_app_routes() -> list[Any]:
    from aiops.entrypoints.http.app import all_routes

    return all_routes()


def test_every_route_has_a_row_in_the_matrix() -> None:
    missing = sorted(app_routes() - set(MATRIX))
    stale = sorted(set(MATRIX) - app_routes())
    assert not missing, f"add these routes to the authorization matrix: {missing}"
    assert not stale, f"these matrix rows name no route: {stale}"


def with_workspaces(app: Container, world: World, tmp_path: Path) -> None:
    """acme/web gets a real remote, and its member, owner and the admin a workspace. git works
    as aiops's own account: the tests' Linux accounts (with_a_session) live in memory."""
    app.gateways.git_workspaces.override(
        providers.Object(GitAsAiops(app.gateways.git_workspaces()))
    )
    REMOTE["url"] = str(make_remote(tmp_path))
    app.update_project()(UpdateProjectCommand(project_id=world.web_id, repo_url=REMOTE["url"]))
    app.gateways.git_worktrees.override(providers.Object(GitAsAiops(app.gateways.git_worktrees())))
    for email in (World.MEMBER, World.OWNER, World.ADMIN):
        app.init_workspace()(WorkspaceRef(project_id=world.web_id, user_email=email))


def with_a_worktree(app: Container, world: World) -> None:
    """The member's worktree of acme/web (after with_workspaces)."""
    for key in WORKTREE:
        made = app.add_worktree()(
            AddWorktreeCommand(project_id=world.web_id, user_email=World.MEMBER, branch=key)
        )
        WORKTREE[key] = made.worktree.id or 0


def with_an_issue(app: Container, world: World) -> None:
    """acme/web gets two tracker connections and one synced issue."""
    connection, spare = (
        app.add_tracker()(
            AddTrackerCommand(
                project_id=world.web_id,
                provider="github",
                base_url=TRACKER_URL,
                key=key,
                token="matrix-token",
            )
        )
        for key in ("acme/web", "acme/spare")
    )
    assert connection.id is not None
    assert spare.id is not None
    TRACKER.update(project=world.web_id, connection=connection.id, spare=spare.id)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    issue = Issue(
        connection_id=connection.id,
        project_id=world.web_id,
        provider=Provider.GITHUB,
        remote=RemoteIssue(
            external_id="1",
            number="#1",
            title="Disk full",
            body="",
            state=IssueState.OPEN,
            created_at=moment,
            updated_at=moment,
        ),
    )
    with app.uow() as uow:
        uow.issues.add_many([issue])
        uow.commit()
        ISSUE["id"] = next(iter(uow.issues.for_connection(connection.id).values())).id or 0


def with_a_session(app: Container, world: World) -> None:
    """In-memory tmux and Linux accounts named after the users; the member's shell session in
    acme/web (after with_workspaces)."""
    app.gateways.tmux_sessions.override(providers.Object(FakeTmuxSessions()))
    app.gateways.linux_users.override(
        providers.Object(FakeLinuxUsers("max", "olga", "ada", "vera"))
    )
    app.gateways.agent_hooks.override(providers.Object(FakeAgentHooks()))
    app.gateways.agent_context_files.override(
        providers.Object(OwnAccountAgentContexts(app.gateways.agent_context_files()))
    )
    app.workspace_policy.override(
        providers.Object(attrs.evolve(app.workspace_policy(), linux_user_strategy="direct"))
    )
    launched = app.launch_session()(
        LaunchSessionCommand(project_id=world.web_id, tool="shell", user_email=World.MEMBER)
    )
    SESSION["id"] = launched.session.id or 0


def with_a_pull_request(app: Container) -> None:
    """The member's open pull request for acme/web's issue, as the loop records one (after
    with_an_issue): nothing unresolved, no failing check."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.uow() as uow:
        member = uow.users.get_by_email(World.MEMBER)
        assert member is not None
        assert member.id is not None
        pull = uow.pull_requests.add(
            PullRequest(
                project_id=TRACKER["project"],
                connection_id=TRACKER["connection"],
                provider=Provider.GITHUB,
                issue_id=ISSUE["id"],
                user_id=member.id,
                number=7,
                url="https://github.com/acme/web/pull/7",
                head="aiops/gh-1-disk-full",
                base="main",
                title="Disk full (#1)",
                state=PullState.OPEN,
                created_at=moment,
                updated_at=moment,
            )
        )
        uow.commit()
    PULL_REQUEST["id"] = pull.id or 0


def with_a_job(app: Container) -> None:
    app.add_job()(AddJobCommand(name=JOB, kind="tmux-resync", every="1h"))


def with_a_run(app: Container) -> None:
    """A finished run of ping with a few events, stored as the runner would leave it."""
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    with app.uow() as uow:
        run = uow.automation_runs.add(
            AutomationRun(
                playbook="ping",
                inventory="localhost",
                started_by=World.ADMIN,
                queued_at=moment,
                started_at=moment,
                ended_at=moment,
                status=RunStatus.SUCCESSFUL,
                rc=0,
                summary=(HostSummary(host="localhost", ok=1),),
            )
        )
        assert run.id is not None
        uow.automation_runs.add_events(
            [RunEvent(run_id=run.id, seq=seq, event="verbose", at=moment) for seq in (1, 2, 3)]
        )
        uow.commit()
    RUN["id"] = run.id


def filled(body: dict[str, Any], world: World) -> dict[str, Any]:
    return {k: world.web_id if v == "{project}" else v for k, v in body.items()}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_route_answers_each_role_as_expected(
    app: Container, world: World, role: str, tmp_path: Path
) -> None:
    with_workspaces(app, world, tmp_path)
    with_an_issue(app, world)
    with_a_session(app, world)
    with_a_job(app)
    with_a_run(app)
    with_a_worktree(app, world)
    with_a_pull_request(app)
    with_notification_targets(app)
    failures = []
    # The owner's token to revoke (not the one the API rows authenticate with).
    revocable = app.create_token()(CreateTokenCommand(email=World.OWNER, name="revocable"))
    assert revocable.token.id is not None
    for (method, template), (expected, body) in sorted(MATRIX.items()):
        with TestClient(create_app(app), follow_redirects=False) as client:
            email = ROLES[role]
            if email:
                sign_in(client, email)
            path = concrete(template, app, world, revocable.token.id)
            if path.startswith("/api/"):
                headers = {"Authorization": f"Bearer {world.tokens[email]}"} if email else {}
                response = client.request(
                    method, path, json=filled(body(role), world) if body else None, headers=headers
                )
            elif method == "GET":
                response = client.get(path)
            else:
                token = csrf(client, "/profile" if email else "/login")
                data = {**(filled(body(role), world) if body else {}), "csrf_token": token}
                response = client.request(method, path, data=data)
            if response.status_code != expected[role]:
                failures.append(
                    f"{method} {path}: {response.status_code}, expected {expected[role]}"
                )
    assert not failures, "\n".join(failures)
