"""The OpenAPI 3.1 document for /api/v1, built in code. A test checks that every API route is
described here, so a new route cannot ship undocumented."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aiops import __version__
from aiops.domain.model.automation import RunStatus
from aiops.entrypoints.http.issues import FILTERS as ISSUE_FILTERS

STR = {"type": "string"}
NULLABLE_STR = {"type": ["string", "null"]}
SLUG = {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", "maxLength": 63}
COLOR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
NAME = {"type": "string", "minLength": 1, "maxLength": 200}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
HTTPS_TOKEN = {
    "type": ["string", "null"],
    "minLength": 1,
    "maxLength": 4096,
    "pattern": "^[!-~]+$",
    "writeOnly": True,
    "description": "the git remote's https token (sent as basic auth); stored encrypted, "
    "never returned",
}


def obj(properties: dict[str, Any], required: list[str], *, extra: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if not extra:
        schema["additionalProperties"] = False
    return schema


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Error": obj({"error": obj({"code": STR, "message": STR}, ["code", "message"])}, ["error"]),
    "Tenant": obj(
        {"id": INT, "slug": STR, "name": STR, "color": STR}, ["id", "slug", "name", "color"]
    ),
    "Project": obj(
        {
            "id": INT,
            "tenant_id": INT,
            "slug": STR,
            "name": STR,
            "repo_url": NULLABLE_STR,
            "default_branch": STR,
            "identity_id": NULLABLE_INT,
            "has_https_token": {**BOOL, "description": "whether an https token is set"},
        },
        [
            "id",
            "tenant_id",
            "slug",
            "name",
            "repo_url",
            "default_branch",
            "identity_id",
            "has_https_token",
        ],
    ),
    "ProjectUpdated": {
        "allOf": [
            ref("Project"),
            obj(
                {
                    "cleared": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["https_token", "identity"]},
                        "description": "what the change removed on its own: a new repo_url set "
                        "by someone who is not a global admin clears the remote's https token "
                        "and SSH identity",
                    }
                },
                ["cleared"],
            ),
        ]
    },
    "Identity": obj(
        {
            "id": INT,
            "name": STR,
            "public_key": STR,
            "fingerprint": STR,
            "has_private_key": BOOL,
            "owner_email": NULLABLE_STR,
            "created_at": {"type": "string", "format": "date-time"},
        },
        ["id", "name", "public_key", "fingerprint", "has_private_key", "owner_email", "created_at"],
    ),
    "User": obj(
        {
            "id": INT,
            "email": STR,
            "name": STR,
            "username": STR,
            "is_admin": BOOL,
            "linux_username": NULLABLE_STR,
        },
        ["id", "email", "name", "username", "is_admin", "linux_username"],
    ),
    "Me": obj(
        {
            "id": INT,
            "email": STR,
            "is_admin": BOOL,
            "roles": {"type": "object", "additionalProperties": STR},
        },
        ["id", "email", "is_admin", "roles"],
    ),
    "Member": obj(
        {"user_id": INT, "email": STR, "name": STR, "role": STR},
        ["user_id", "email", "name", "role"],
    ),
    "Membership": obj(
        {"user_id": INT, "tenant_id": INT, "role": STR}, ["user_id", "tenant_id", "role"]
    ),
    "TenantIn": obj({"slug": SLUG, "name": NAME, "color": COLOR}, ["slug", "name"], extra=False),
    "TenantPatch": obj({"name": NULLABLE_STR, "color": NULLABLE_STR}, [], extra=False),
    "ProjectIn": obj(
        {
            "tenant": SLUG,
            "slug": SLUG,
            "name": NAME,
            "repo_url": NULLABLE_STR,
            "default_branch": STR,
            "identity_id": NULLABLE_INT,
            "https_token": HTTPS_TOKEN,
        },
        ["tenant", "slug", "name"],
        extra=False,
    ),
    "ProjectPatch": obj(
        {
            "name": NULLABLE_STR,
            "repo_url": NULLABLE_STR,
            "default_branch": NULLABLE_STR,
            "identity_id": {
                **NULLABLE_INT,
                "description": "an identity's id; null or absent keeps the current one",
            },
            "clear_identity": {**BOOL, "description": "true removes the project's identity"},
            "https_token": {
                **HTTPS_TOKEN,
                "description": "a new https token for the git remote; null or absent keeps the "
                "current one. Stored encrypted, never returned",
            },
            "clear_https_token": {**BOOL, "description": "true removes the https token"},
        },
        [],
        extra=False,
    ),
    "UserIn": obj(
        {
            "email": EMAIL,
            "name": NAME,
            "username": NULLABLE_STR,
            "is_admin": BOOL,
            "linux_username": NULLABLE_STR,
        },
        ["email", "name"],
        extra=False,
    ),
    "Commit": obj(
        {"sha": STR, "subject": STR, "author": STR, "committed_at": DATETIME},
        ["sha", "subject", "author", "committed_at"],
    ),
    "WorkspaceStatus": obj(
        {
            "branch": NULLABLE_STR,
            "upstream": NULLABLE_STR,
            "ahead": INT,
            "behind": INT,
            "staged": INT,
            "unstaged": INT,
            "untracked": INT,
            "conflicted": {"type": "array", "items": STR},
            "last_commit": {"oneOf": [ref("Commit"), {"type": "null"}]},
        },
        ["branch", "upstream", "ahead", "behind", "staged", "unstaged", "untracked"],
    ),
    "Workspace": obj(
        {
            "project_id": INT,
            "path": STR,
            "status": ref("WorkspaceStatus"),
            "created": BOOL,
            "outcome": {
                "description": "pull/merge: {kind, head}; push: {branch, remote_ref, head, "
                "up_to_date}; otherwise null",
                "type": ["object", "null"],
            },
        },
        ["project_id", "path", "status", "created", "outcome"],
    ),
    "Branches": obj(
        {
            "current": NULLABLE_STR,
            "local": {"type": "array", "items": STR},
            "remote": {"type": "array", "items": STR},
        },
        ["current", "local", "remote"],
    ),
    "BranchIn": obj(
        {"branch": {"type": "string", "maxLength": 255}, "from": NULLABLE_STR},
        [],
        extra=False,
    ),
    "RemoteIssue": obj(
        {
            "external_id": STR,
            "number": STR,
            "title": STR,
            "body": STR,
            "state": {"type": "string", "enum": ["open", "closed", "removed"]},
            "labels": {"type": "array", "items": STR},
            "assignees": {"type": "array", "items": STR},
            "url": STR,
            "created_at": DATETIME,
            "updated_at": DATETIME,
        },
        ["external_id", "number", "title", "state", "labels", "assignees", "updated_at"],
    ),
    "Triage": obj(
        {
            "status": {"type": "string", "enum": ["new", "triaged", "in_progress", "resolved"]},
            "severity": {"type": ["string", "null"]},
            "owner_id": {"type": ["integer", "null"]},
            "note": STR,
        },
        ["status", "severity", "owner_id", "note"],
    ),
    "Issue": obj(
        {
            "id": INT,
            "connection_id": INT,
            "project_id": INT,
            "provider": {"type": "string", "enum": ["github", "gitlab", "jira"]},
            "remote": ref("RemoteIssue"),
            "triage": ref("Triage"),
        },
        ["id", "connection_id", "project_id", "provider", "remote", "triage"],
    ),
    "IssuePage": obj(
        {
            "issues": {"type": "array", "items": ref("Issue")},
            "total": INT,
            "page": INT,
            "per_page": INT,
            "pages": INT,
        },
        ["issues", "total", "page", "per_page", "pages"],
    ),
    "TriageIn": obj(
        {
            "status": NULLABLE_STR,
            "severity": NULLABLE_STR,
            "clear_severity": BOOL,
            "owner_email": NULLABLE_STR,
            "clear_owner": BOOL,
            "note": NULLABLE_STR,
        },
        [],
        extra=False,
    ),
    "AgentContextIn": obj({"notes": NULLABLE_STR}, [], extra=False),
    "Session": obj(
        {
            "id": INT,
            "project_id": INT,
            "user_id": INT,
            "tool": {"type": "string", "enum": ["codex", "gemini", "claude", "shell"]},
            "issue_id": NULLABLE_INT,
            "linux_user": STR,
            "tmux_socket": STR,
            "tmux_session": STR,
            "tmux_window": STR,
            "status": {"type": "string", "enum": ["running", "waiting", "idle", "exited"]},
            "started_at": DATETIME,
            "last_activity": {"type": ["string", "null"], "format": "date-time"},
            "attach": {**STR, "description": "the command that attaches from a terminal"},
            "created": {
                **BOOL,
                "description": "launch only: false when an existing window was focused instead",
            },
            "pane": {**STR, "description": "one session only: the pane's text now"},
        },
        [
            "id",
            "project_id",
            "user_id",
            "tool",
            "issue_id",
            "linux_user",
            "tmux_socket",
            "tmux_session",
            "tmux_window",
            "status",
            "started_at",
            "last_activity",
            "attach",
        ],
    ),
    "SessionIn": obj(
        {
            "project_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "tool": {"type": "string", "enum": ["codex", "gemini", "claude", "shell"]},
            "issue_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1},
        },
        ["project_id", "tool"],
        extra=False,
    ),
    "AgentContextResult": obj({"path": STR, "changed": BOOL}, ["path", "changed"]),
    "Playbook": obj(
        {"name": STR, "description": {**STR, "description": "the playbook's leading comment"}},
        ["name", "description"],
    ),
    "HostSummary": obj(
        {
            "host": STR,
            "ok": INT,
            "changed": INT,
            "failed": INT,
            "unreachable": INT,
            "skipped": INT,
        },
        ["host", "ok", "changed", "failed", "unreachable", "skipped"],
    ),
    "Run": obj(
        {
            "id": INT,
            "playbook": STR,
            "inventory": STR,
            "limit": NULLABLE_STR,
            "tags": NULLABLE_STR,
            "check": BOOL,
            "extra_vars": {
                "type": "object",
                "description": "the run's extra vars, secret ones shown as ********",
            },
            "identity": NULLABLE_STR,
            "status": {"type": "string", "enum": [s.value for s in RunStatus]},
            "rc": NULLABLE_INT,
            "started_by": STR,
            "queued_at": DATETIME,
            "started_at": NULLABLE_DATETIME,
            "ended_at": NULLABLE_DATETIME,
            "duration_seconds": {"type": ["number", "null"]},
            "summary": {"type": "array", "items": ref("HostSummary")},
            "cancel_requested": BOOL,
            "runner": {
                **NULLABLE_STR,
                "description": "the aiops process running it: host:pid:start time:pid namespace",
            },
            "runner_seen_at": {
                **NULLABLE_DATETIME,
                "description": "the runner's last heartbeat (every quarter of "
                "AIOPS_RUN_LOST_AFTER while the run is unfinished)",
            },
            "reason": {
                **NULLABLE_STR,
                "description": "why it ended as it did when the rc does not tell, e.g. "
                "'aiops process 812 on web-1 ended before the run finished'",
            },
        },
        [
            "id",
            "playbook",
            "inventory",
            "limit",
            "tags",
            "check",
            "extra_vars",
            "identity",
            "status",
            "rc",
            "started_by",
            "queued_at",
            "started_at",
            "ended_at",
            "duration_seconds",
            "summary",
            "cancel_requested",
            "runner",
            "runner_seen_at",
            "reason",
        ],
    ),
    "RunEvent": obj(
        {
            "seq": {**INT, "description": "1, 2, ... in the order ansible emitted them"},
            "event": {**STR, "description": "ansible's event type, e.g. runner_on_ok"},
            "host": NULLABLE_STR,
            "task": NULLABLE_STR,
            "status": {"type": ["string", "null"]},
            "stdout": STR,
            "at": NULLABLE_DATETIME,
        },
        ["seq", "event", "host", "task", "status", "stdout", "at"],
    ),
    "RunEvents": obj(
        {
            "run": ref("Run"),
            "events": {"type": "array", "items": ref("RunEvent")},
            "last_seq": {**INT, "description": "pass it as ?after= for the next page"},
            "done": {
                **BOOL,
                "description": "the run has finished and no event follows these",
            },
        },
        ["run", "events", "last_seq", "done"],
    ),
    "RunIn": obj(
        {
            "playbook": {**STR, "maxLength": 64, "description": "an allowlisted playbook name"},
            "inventory": {**NULLABLE_STR, "description": "an inventory name (default localhost)"},
            "limit": NULLABLE_STR,
            "tags": {**NULLABLE_STR, "description": "comma-separated tag names"},
            "check": BOOL,
            "extra_vars": {
                "type": ["object", "string", "null"],
                "description": "a JSON object, or JSON/YAML text of a mapping",
            },
            "secret_vars": {
                "type": "array",
                "items": STR,
                "description": "more variable names to mask (secret-looking names always are)",
            },
            "identity": {**NULLABLE_STR, "description": "an SSH identity for remote hosts"},
        },
        ["playbook"],
        extra=False,
    ),
    "MemberIn": obj(
        {"email": EMAIL, "role": {"type": "string", "enum": ["owner", "member", "viewer"]}},
        ["email", "role"],
        extra=False,
    ),
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "Invalid input",
        401: "No valid bearer token",
        403: "Not allowed for your role",
        404: "Not found (or not visible to you)",
        409: "Conflicts with existing data (or with the state of a workspace or a run)",
        413: "Body too large",
        502: "The git remote could not be reached or refused the credentials",
        503: "The database is busy (code database_busy: nothing was stored; send the same "
        "request again after Retry-After seconds) or unavailable",
    }
    return {
        str(s): {"description": words[s], **_json(ref("Error")), **RETRY_AFTER.get(s, {})}
        for s in statuses
    }


RETRY_AFTER = {
    503: {
        "headers": {
            "Retry-After": {
                "description": "seconds to wait before sending the request again",
                "schema": INT,
            }
        }
    }
}
# What any operation that reads or writes the database may answer, whatever it does.
ALWAYS = (401, 503)


def operation(
    summary: str,
    ok: int,
    result: dict[str, Any],
    *,
    body: str | None = None,
    optional_body: str | None = None,
    errors: tuple[int, ...] = (401,),
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(ok): {"description": "OK" if ok == 200 else "Created", **_json(result)},
            **_errors(*errors, *ALWAYS),
        },
    }
    if body or optional_body:
        op["requestBody"] = {"required": bool(body), **_json(ref(body or optional_body or ""))}
        op["responses"].update(_errors(400, 413))
    if params:
        op["parameters"] = params
    return op


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


SLUG_PARAM = [path_param("slug", SLUG)]
PROJECT_ID_PARAM = [
    path_param("project_id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})
]


RUN_ID_PARAM = [path_param("run_id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})]


def array(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


WORKSPACE = "/api/v1/projects/{project_id}/workspace"
WORKSPACE_OPERATIONS = {
    "fetch": ("Fetch from origin", False),
    "pull": ("Fetch, then fast-forward or merge the upstream", False),
    "push": ("Push the current branch (a non-fast-forward is refused: 409)", False),
    "checkout": ("Switch to a local or origin branch: {branch}", True),
    "create-branch": ("Create a branch and check it out: {branch, from?}", True),
    "merge": ("Merge a branch into the current one: {branch}", True),
}
INIT_WORKSPACE = operation(
    "Initialize your workspace: clone the project (200 when it already exists)",
    201,
    ref("Workspace"),
    errors=(401, 400, 403, 404, 409, 502),
    params=PROJECT_ID_PARAM,
)
INIT_WORKSPACE["responses"]["200"] = {"description": "Already there", **_json(ref("Workspace"))}
WORKSPACE_PATHS: dict[str, Any] = {
    WORKSPACE: {
        "get": operation(
            "Your workspace's status (404 workspace_missing when there is none)",
            200,
            ref("Workspace"),
            errors=(401, 404),
            params=PROJECT_ID_PARAM,
        ),
        "post": INIT_WORKSPACE,
    },
    f"{WORKSPACE}/branches": {
        "get": operation(
            "Local and remote branches of your workspace",
            200,
            ref("Branches"),
            errors=(401, 404),
            params=PROJECT_ID_PARAM,
        ),
    },
    **{
        f"{WORKSPACE}/{name}": {
            "post": operation(
                summary,
                200,
                ref("Workspace"),
                body="BranchIn" if needs_branch else None,
                optional_body=None if needs_branch else "BranchIn",
                errors=(401, 400, 403, 404, 409, 502),
                params=PROJECT_ID_PARAM,
            )
        }
        for name, (summary, needs_branch) in WORKSPACE_OPERATIONS.items()
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/tenants": {
        "get": operation("Tenants you can see", 200, array("Tenant")),
        "post": operation(
            "Create a tenant (admins)", 201, ref("Tenant"), body="TenantIn", errors=(401, 403, 409)
        ),
    },
    "/api/v1/tenants/{slug}": {
        "get": operation("One tenant", 200, ref("Tenant"), errors=(401, 404), params=SLUG_PARAM),
        "patch": operation(
            "Change a tenant's name or colour (owners)",
            200,
            ref("Tenant"),
            body="TenantPatch",
            errors=(401, 403, 404),
            params=SLUG_PARAM,
        ),
    },
    "/api/v1/tenants/{slug}/members": {
        "get": operation(
            "A tenant's members", 200, array("Member"), errors=(401, 404), params=SLUG_PARAM
        ),
        "put": operation(
            "Give a user a role in the tenant (owners)",
            200,
            ref("Membership"),
            body="MemberIn",
            errors=(401, 403, 404),
            params=SLUG_PARAM,
        ),
    },
    "/api/v1/projects": {
        "get": operation(
            "Projects you can see",
            200,
            array("Project"),
            errors=(401, 404),
            params=[{"name": "tenant", "in": "query", "required": False, "schema": STR}],
        ),
        "post": operation(
            "Create a project (owners; repo_url as for PATCH)",
            201,
            ref("Project"),
            body="ProjectIn",
            errors=(401, 403, 404, 409),
        ),
    },
    "/api/v1/projects/{project_id}": {
        "get": operation(
            "One project", 200, ref("Project"), errors=(401, 404), params=PROJECT_ID_PARAM
        ),
        "patch": operation(
            "Change a project (owners). repo_url: owners set https://, ssh:// or user@host:path "
            "on a host that is not link-local, cloud metadata or (unless the server allows it) "
            "private; local paths, file://, http:// and git:// are for global admins (403 "
            "remote_refused)",
            200,
            ref("ProjectUpdated"),
            body="ProjectPatch",
            errors=(401, 403, 404, 409),
            params=PROJECT_ID_PARAM,
        ),
    },
    **WORKSPACE_PATHS,
    "/api/v1/issues": {
        "get": operation(
            "Issues you may see, filtered, sorted and paginated (the Issues page's filters)",
            200,
            ref("IssuePage"),
            errors=(401, 400, 404),
            params=[
                {"name": name, "in": "query", "required": False, "schema": STR}
                for name in (*ISSUE_FILTERS, "per_page")
            ],
        ),
    },
    "/api/v1/issues/{issue_id}": {
        "patch": operation(
            "Triage one issue (members and owners of its tenant)",
            200,
            ref("Issue"),
            body="TriageIn",
            errors=(401, 403, 404),
            params=[
                path_param("issue_id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})
            ],
        ),
    },
    "/api/v1/issues/{issue_id}/agent-context": {
        "post": operation(
            "Write the issue into AGENTS.override.md of your workspace of its project "
            "(404 workspace_missing when you have none yet)",
            200,
            ref("AgentContextResult"),
            optional_body="AgentContextIn",
            errors=(401, 403, 404),
            params=[
                path_param("issue_id", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1})
            ],
        ),
    },
    "/api/v1/sessions": {
        "get": operation(
            "Live AI sessions you may see (yours; all of tenants you own), status read from tmux",
            200,
            array("Session"),
            errors=(401, 400),
            params=[{"name": "project_id", "in": "query", "required": False, "schema": INT}],
        ),
        "post": operation(
            "Launch a tool in tmux as your Linux account in your workspace (an existing window "
            "is focused instead: 200)",
            201,
            ref("Session"),
            body="SessionIn",
            errors=(401, 403, 404),
        ),
    },
    "/api/v1/sessions/{session_id}": {
        "get": operation(
            "One session, with its pane's text",
            200,
            ref("Session"),
            errors=(401, 404),
            params=[path_param("session_id", {"type": "integer", "minimum": 1})],
        ),
        "delete": operation(
            "Stop a session (its window is closed, the tool ended)",
            200,
            ref("Session"),
            errors=(401, 404),
            params=[path_param("session_id", {"type": "integer", "minimum": 1})],
        ),
    },
    "/api/v1/playbooks": {
        "get": operation(
            "The allowlisted playbooks present, in allowlist order (admins and tenant owners)",
            200,
            array("Playbook"),
            errors=(401, 403),
        ),
    },
    "/api/v1/runs": {
        "get": operation(
            "Playbook runs, newest first (admins and tenant owners)",
            200,
            array("Run"),
            errors=(400, 401, 403),
            params=[
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                }
            ],
        ),
        "post": operation(
            "Start a run of an allowlisted playbook in the background (global admins); "
            "follow it with /api/v1/runs/{run_id}/events",
            201,
            ref("Run"),
            body="RunIn",
            errors=(401, 403),
        ),
    },
    "/api/v1/runs/{run_id}": {
        "get": operation(
            "One run, with its per-host summary once finished",
            200,
            ref("Run"),
            errors=(401, 403, 404),
            params=RUN_ID_PARAM,
        ),
    },
    "/api/v1/runs/{run_id}/events": {
        "get": operation(
            "A run's events after a sequence number, in order; poll with the returned last_seq "
            "until done",
            200,
            ref("RunEvents"),
            errors=(400, 401, 403, 404),
            params=[
                *RUN_ID_PARAM,
                {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10000},
                },
            ],
        ),
    },
    "/api/v1/runs/{run_id}/cancel": {
        "post": operation(
            "Cancel a run (global admins); it ends as cancelled within about a second",
            200,
            ref("Run"),
            errors=(401, 403, 404, 409),
            params=RUN_ID_PARAM,
        ),
    },
    "/api/v1/identities": {
        "get": operation(
            "SSH identities, to pick a project's (admins and tenant owners)",
            200,
            array("Identity"),
            errors=(401, 403),
        ),
    },
    "/api/v1/users": {
        "get": operation("All users (admins)", 200, array("User"), errors=(401, 403)),
        "post": operation(
            "Create a user (admins)", 201, ref("User"), body="UserIn", errors=(401, 403, 409)
        ),
    },
    "/api/v1/users/me": {"get": operation("The caller", 200, ref("Me"))},
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", **_json({"type": "object"})}},
        },
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "aiops API", "version": __version__},
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal access token (Profile page or `aiops token create`)",
            }
        },
    },
}


async def openapi(_request: Request) -> Response:
    return JSONResponse(DOCUMENT)
