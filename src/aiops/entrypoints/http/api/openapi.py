"""The OpenAPI 3.1 document for /api/v1, built in code. A test checks that every API route is
described here, so a new route cannot ship undocumented."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from aiops import __version__
from aiops.entrypoints.http.api import outputs, shapes
from aiops.entrypoints.http.api.automation import EVENTS_QUERY, RUNS_QUERY
from aiops.entrypoints.http.api.issues import QUERY as ISSUE_QUERY
from aiops.entrypoints.http.api.pull_requests import QUERY as PULL_QUERY
from aiops.entrypoints.http.api.types import Id, Slug

REF = "#/components/schemas/{name}"
INT = {"type": "integer"}
STR = {"type": "string"}
INPUTS = [
    shapes.TenantIn,
    shapes.TenantPatch,
    shapes.ProjectIn,
    shapes.ProjectPatch,
    shapes.UserIn,
    shapes.MemberIn,
    shapes.BranchIn,
    shapes.OptionalBranchIn,
    shapes.TriageIn,
    shapes.AgentContextIn,
    shapes.SessionIn,
    shapes.SessionPatchIn,
    shapes.AgentEventIn,
    shapes.RunIn,
    shapes.WorktreeIn,
    shapes.IssueWorkIn,
    shapes.PullRequestIn,
]
OUTPUTS = [
    outputs.Error,
    outputs.Tenant,
    outputs.Project,
    outputs.ProjectUpdated,
    outputs.Identity,
    outputs.User,
    outputs.Me,
    outputs.Member,
    outputs.Membership,
    outputs.Workspace,
    outputs.CancelRequested,
    outputs.Branches,
    outputs.IssuePage,
    outputs.AgentContextResult,
    outputs.Session,
    outputs.AgentEvent,
    outputs.AgentEventAccepted,
    outputs.Playbook,
    outputs.Run,
    outputs.RunEvents,
    outputs.Worktree,
    outputs.IssueWorkStarted,
    outputs.PullRequestOpened,
    outputs.PullRequests,
    outputs.StepQueued,
]
_, SCHEMAS = msgspec.json.schema_components([*INPUTS, *OUTPUTS], ref_template=REF)
for _shape in INPUTS:  # the boundary refuses unknown keys (api/_io.py)
    SCHEMAS[_shape.__name__]["additionalProperties"] = False
for _shape, _pairs in shapes.CLEARS.items():
    SCHEMAS[_shape.__name__]["allOf"] = [
        {
            "if": {"properties": {flag: {"const": True}}, "required": [flag]},
            "then": {"properties": {field: {"type": "null"}}},
        }
        for flag, field in _pairs.items()
    ]
SCHEMAS["WorktreeIn"]["oneOf"] = [  # a branch, or an issue: exactly one of them
    {"required": [given], "properties": {given: {"not": {"type": "null"}}, other: {"type": "null"}}}
    for given, other in (("branch", "issue_id"), ("issue_id", "branch"))
]
for _name in ("BranchIn", "OptionalBranchIn", "WorktreeIn"):  # "from" is a Python keyword
    _properties = SCHEMAS[_name]["properties"]
    _properties["from"] = _properties.pop("base")


def schema(kind: Any) -> dict[str, Any]:
    """The JSON Schema of a type of api/types.py (its enums go to the components)."""
    (found,), components = msgspec.json.schema_components([kind], ref_template=REF)
    SCHEMAS.update(components)
    return dict(found)


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def query_params(kinds: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "query", "required": False, "schema": schema(kind)}
        for name, kind in kinds.items()
    ]


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
    if params:  # a parameter outside its schema is refused before any query runs
        op["parameters"] = params
        op["responses"].update(_errors(400))
    return op


AGENT_EVENT = operation(
    "An agent event from a session's hook command (`aiops agent-event`). The bearer token is "
    "the session's AIOPS_SESSION_TOKEN, not a personal access token. 202 once stored; 401 "
    "bad_token (forged, another session's or account's, an unknown or ended session); 409 "
    "replayed (an event_id seen before for the session, or sent_at more than 5 minutes from "
    "now); 400 bad_event (shape)",
    202,
    ref("AgentEventAccepted"),
    body="AgentEventIn",
    errors=(401, 409),
)
AGENT_EVENT["responses"]["202"]["description"] = "Accepted and stored"
AGENT_EVENT["security"] = [{"sessionToken": []}]


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


SLUG_PARAM = [path_param("slug", schema(Slug))]
PROJECT_ID_PARAM = [path_param("project_id", schema(Id))]
RUN_ID_PARAM = [path_param("run_id", schema(Id))]
ISSUE_ID_PARAM = [path_param("issue_id", schema(Id))]
SESSION_ID_PARAM = [path_param("session_id", schema(Id))]


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
            "Your workspace's status, with the clone or fetch under way in `progress` (while "
            "the first clone runs: `status` null; 404 workspace_missing when there is none)",
            200,
            ref("Workspace"),
            errors=(401, 404),
            params=PROJECT_ID_PARAM,
        ),
        "post": INIT_WORKSPACE,
    },
    f"{WORKSPACE}/cancel": {
        "post": operation(
            "Stop the clone or fetch under way in your workspace (a clone leaves no folder; "
            "409 no_transfer when none runs)",
            200,
            ref("CancelRequested"),
            errors=(401, 403, 404, 409),
            params=PROJECT_ID_PARAM,
        ),
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
                optional_body=None if needs_branch else "OptionalBranchIn",
                errors=(401, 400, 403, 404, 409, 502),
                params=PROJECT_ID_PARAM,
            )
        }
        for name, (summary, needs_branch) in WORKSPACE_OPERATIONS.items()
    },
}

WORKTREES = "/api/v1/projects/{project_id}/worktrees"
WORKTREE_PATHS: dict[str, Any] = {
    WORKTREES: {
        "get": operation(
            "Your worktrees of the project (all of it for its owners), with their status",
            200,
            array("Worktree"),
            errors=(401, 404),
            params=PROJECT_ID_PARAM,
        ),
        "post": operation(
            "Add a worktree on a branch or an issue's branch aiops/<issue-key-slug> (200 when "
            "you have it already)",
            201,
            ref("Worktree"),
            body="WorktreeIn",
            errors=(401, 400, 403, 404, 409, 502),
            params=PROJECT_ID_PARAM,
        ),
    },
    f"{WORKTREES}/{{worktree_id}}": {
        "delete": operation(
            "Remove a worktree (its branch is kept). 409 worktree_dirty names the uncommitted "
            "files and unpushed commits it would lose, unless ?force=true",
            200,
            ref("Worktree"),
            errors=(401, 403, 404, 409),
            params=[
                *PROJECT_ID_PARAM,
                path_param("worktree_id", schema(Id)),
                *query_params({"force": bool}),
            ],
        ),
    },
}
WORKTREE_PATHS[WORKTREES]["post"]["responses"]["200"] = {
    "description": "Already there",
    **_json(ref("Worktree")),
}

REVIEW_TO_AGENT = operation(
    "Send the pull request's unresolved review comments and failing checks to its agent: "
    "written into the worktree's AGENTS.override.md, then a one-line prompt typed into its "
    "pane (relaunched if it exited). Queued and run at once: 202 with the step (pending "
    "after a failure: retried with backoff). 409 when there is nothing to send",
    202,
    ref("StepQueued"),
    errors=(401, 403, 404, 409),
    params=[path_param("pull_request_id", schema(Id))],
)
REVIEW_TO_AGENT["responses"]["202"]["description"] = "Queued, and run once already"
PULL_REQUEST_PATHS: dict[str, Any] = {
    "/api/v1/issues/{issue_id}/work": {
        "post": operation(
            "Start work on an issue: make (or reuse) its worktree on aiops/<issue-key-slug> "
            "from the default branch, write the issue and short instructions into its "
            "AGENTS.override.md (kept out of git), launch the tool there as your Linux account "
            "(a running one is focused: created false) and set the issue's triage to "
            "in_progress with you as owner. Owners may start it for a member (user_email). "
            "409 session_refused: aiops may not act as the Linux account",
            201,
            ref("IssueWorkStarted"),
            body="IssueWorkIn",
            errors=(401, 403, 404, 409, 502),
            params=ISSUE_ID_PARAM,
        ),
    },
    "/api/v1/issues/{issue_id}/pull-request": {
        "post": operation(
            "Push the issue's branch from your worktree (owners: user_email's) and open its "
            "pull request (GitHub) or merge request (GitLab) against the default branch, then "
            "comment on the issue; an open one is reused. The step runs at once: a tracker "
            "error leaves it pending (retried with backoff, `step.last_error`). 409 "
            "nothing_to_propose (no new commits), no_code_host (no GitHub or GitLab "
            "connection), push_rejected (the reason), or no worktree for the issue yet",
            201,
            ref("PullRequestOpened"),
            optional_body="PullRequestIn",
            errors=(401, 403, 404, 409, 502),
            params=ISSUE_ID_PARAM,
        ),
    },
    "/api/v1/pull-requests": {
        "get": operation(
            "Pull requests aiops opened that you may see, with their state, checks, review "
            "state and unresolved review comments as last synced (404 for a project or issue "
            "you may not see)",
            200,
            ref("PullRequests"),
            errors=(401, 400, 404),
            params=query_params(PULL_QUERY),
        ),
    },
    "/api/v1/pull-requests/{pull_request_id}/review-to-agent": {"post": REVIEW_TO_AGENT},
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
            params=query_params({"tenant": Slug}),
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
    **WORKTREE_PATHS,
    "/api/v1/issues": {
        "get": operation(
            "Issues you may see, filtered, sorted and paginated (the Issues page's filters)",
            200,
            ref("IssuePage"),
            errors=(401, 400, 404),
            params=query_params(ISSUE_QUERY),
        ),
    },
    "/api/v1/issues/{issue_id}": {
        "patch": operation(
            "Triage one issue (members and owners of its tenant)",
            200,
            ref("Issue"),
            body="TriageIn",
            errors=(401, 403, 404),
            params=ISSUE_ID_PARAM,
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
            params=ISSUE_ID_PARAM,
        ),
    },
    **PULL_REQUEST_PATHS,
    "/api/v1/sessions": {
        "get": operation(
            "Live AI sessions you may see (yours; all of tenants you own; shared ones of tenants "
            "you are a member of), status read from tmux",
            200,
            array("Session"),
            errors=(401, 400),
            params=query_params({"project_id": Id}),
        ),
        "post": operation(
            "Launch a tool in tmux as your Linux account in your workspace (with issue_id: in "
            "that issue's worktree, made on its first launch; an existing window "
            "is focused instead: 200). 409 session_refused: aiops may not act as your Linux "
            "account (none mapped, uid 0, the tool not enabled here)",
            201,
            ref("Session"),
            body="SessionIn",
            errors=(401, 403, 404, 409),
        ),
    },
    "/api/v1/sessions/{session_id}": {
        "get": operation(
            "One session, with its pane's text",
            200,
            ref("Session"),
            errors=(401, 404),
            params=SESSION_ID_PARAM,
        ),
        "patch": operation(
            "Share the session's terminal with its tenant's members (read-only), or stop "
            "sharing it (the session's user, the tenant's owners and admins; 403 for a member "
            "who watches it)",
            200,
            ref("Session"),
            body="SessionPatchIn",
            errors=(400, 401, 403, 404),
            params=SESSION_ID_PARAM,
        ),
        "delete": operation(
            "Stop a session (its window is closed, the tool ended)",
            200,
            ref("Session"),
            errors=(401, 404),
            params=SESSION_ID_PARAM,
        ),
    },
    "/api/v1/sessions/{session_id}/events": {
        "get": operation(
            "The session's status transitions, newest first (hook events and pane readings)",
            200,
            array("AgentEvent"),
            errors=(401, 404),
            params=SESSION_ID_PARAM,
        ),
    },
    "/api/v1/agent-events": {"post": AGENT_EVENT},
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
            params=query_params(RUNS_QUERY),
        ),
        "post": operation(
            "Start a run of an allowlisted playbook in the background (global admins); "
            "follow it with /api/v1/runs/{run_id}/events. 409 automation_refused: the playbook "
            "is not on this server's allowlist or its file is missing, the inventory or the SSH "
            "identity named is not one this server has",
            201,
            ref("Run"),
            body="RunIn",
            errors=(401, 403, 409),
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
            params=[*RUN_ID_PARAM, *query_params(EVENTS_QUERY)],
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
            },
            "sessionToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A session's AIOPS_SESSION_TOKEN (POST /api/v1/agent-events only)",
            },
        },
    },
}


async def openapi(_request: Request) -> Response:
    return JSONResponse(DOCUMENT)
