"""Admin -> Projects: the projects of tenants the actor manages; create and edit them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import ValidationError
from aiops.domain.model.access import Actor, Permission
from aiops.domain.model.identities import SshIdentity
from aiops.domain.model.remotes import RemoteRefused
from aiops.domain.model.tenants import Tenant
from aiops.domain.usecases.projects import (
    CreateProjectCommand,
    ListProjectsQuery,
    ProjectUpdate,
    UpdateProjectCommand,
)
from aiops.domain.usecases.trackers import ManagedTracker
from aiops.entrypoints.http.admin._common import (
    FORM_ERRORS,
    form_error,
    require_manager,
    status_for,
)
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect, render

FIELDS = (
    "tenant",
    "slug",
    "name",
    "repo_url",
    "default_branch",
    "identity_id",
    "clone_filter",
    "clone_depth",
)


def _identity_id(value: str) -> int | None:
    """The form's identity select: '' is none, else an identity's id."""
    if value == "":
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise ValidationError("identity_id", "choose an identity from the list")
    return int(value)


def _clone_depth(value: str) -> int:
    """The form's depth field: '' is 0 (the full history), else a whole number (the domain
    checks its range)."""
    if value.strip() == "":
        return 0
    if not value.strip().isascii() or not value.strip().isdigit() or len(value.strip()) > 7:
        raise ValidationError("clone_depth", "must be a whole number (0: the full history)")
    return int(value)


async def _identities(request: Request, actor: Actor) -> list[SshIdentity]:
    listed = await call(container(request).list_identities(), actor)
    return [item.identity for item in listed]


async def _trackers(request: Request, actor: Actor, project_id: int) -> list[ManagedTracker]:
    listed: list[ManagedTracker] = await call(
        container(request).list_managed_trackers(), actor, project_id
    )
    return listed


async def _manageable(request: Request, actor: Actor) -> list[Tenant]:
    tenants = await call(container(request).list_tenants(), actor)
    return [t for t in tenants if actor.may(Permission.MANAGE, t.id or 0)]


async def projects_page(request: Request, status_code: int = 200, **context: object) -> Response:
    actor = await require_manager(request)
    tenants = await _manageable(request, actor)
    by_id = {t.id: t for t in tenants}
    projects = await call(container(request).list_projects(), ListProjectsQuery(actor=actor))
    identities = await _identities(request, actor)
    rows = [(by_id[p.tenant_id], p) for p in projects if p.tenant_id in by_id]
    context.setdefault("values", {"default_branch": "main", "clone_filter": "none"})
    return render(
        request,
        "admin/projects.html",
        status_code=status_code,
        rows=rows,
        tenants=tenants,
        identities=identities,
        identity_names={i.id: i.name for i in identities},
        **context,
    )


async def list_projects(request: Request) -> Response:
    return await projects_page(request)


async def create_project(request: Request) -> Response:
    actor = await require_manager(request)
    values: dict[str, str] = {}
    try:
        data = await form(request)
        values = {key: field(data, key) for key in FIELDS}
        cmd = CreateProjectCommand(
            tenant=values["tenant"],
            slug=values["slug"],
            name=values["name"],
            repo_url=values["repo_url"] or None,
            default_branch=values["default_branch"] or "main",
            identity_id=_identity_id(values["identity_id"]),
            https_token=field(data, "https_token") or None,  # never put back into a page
            clone_filter=values["clone_filter"] or "none",
            clone_depth=_clone_depth(values["clone_depth"]),
            actor=actor,
        )
        project = await call(container(request).create_project(), cmd)
    except (*FORM_ERRORS, RemoteRefused) as error:
        return await projects_page(request, status_for(error), error=error.message, values=values)
    flash(request, f"Project {project.name} created.")
    return redirect("/admin/projects")


async def edit_project(request: Request) -> Response:
    actor = await require_manager(request)
    project = await call(container(request).get_project(), request.path_params["project_id"], actor)
    identities = await _identities(request, actor)
    return render(
        request,
        "admin/project_edit.html",
        project=project,
        identities=identities,
        trackers=await _trackers(request, actor, project.id),
        values=None,
    )


async def update_project(request: Request) -> Response:
    actor = await require_manager(request)
    project_id = request.path_params["project_id"]
    project = await call(container(request).get_project(), project_id, actor)
    values = {
        "name": project.name,
        "repo_url": project.repo_url or "",
        "default_branch": project.default_branch,
        "identity_id": "" if project.identity_id is None else str(project.identity_id),
        "clone_filter": project.clone_filter.value,
        "clone_depth": str(project.clone_depth),
    }
    auto: dict[str, bool | None] = {"auto_pull_request": None, "auto_review_to_agent": None}
    try:
        data = await form(request)
        values = {key: field(data, key, values[key]) for key in values}
        if field(data, "auto_flags") == "1":  # the form has the checkboxes: unchecked is off
            auto = {name: field(data, name) == "on" for name in auto}
        identity_id = _identity_id(values["identity_id"])
        cmd = UpdateProjectCommand(
            project_id=project_id,
            name=values["name"],
            repo_url=values["repo_url"],
            default_branch=values["default_branch"],
            identity_id=identity_id,
            clear_identity=identity_id is None,
            # An empty token field keeps the token; the checkbox removes it.
            https_token=field(data, "https_token") or None,  # never put back into a page
            clear_https_token=field(data, "clear_https_token") == "on",
            clone_filter=values["clone_filter"],
            clone_depth=_clone_depth(values["clone_depth"]),
            auto_pull_request=auto["auto_pull_request"],
            auto_review_to_agent=auto["auto_review_to_agent"],
            actor=actor,
        )
        update = await call(container(request).update_project(), cmd)
    except (*FORM_ERRORS, RemoteRefused) as error:
        identities = await _identities(request, actor)
        return form_error(
            request,
            "admin/project_edit.html",
            error,
            project=project,
            identities=identities,
            trackers=await _trackers(request, actor, project_id),
            values={**values, **({"auto": auto} if None not in auto.values() else {})},
        )
    flash(request, f"Project {project.slug} saved.{_cleared(update)}")
    return redirect("/admin/projects")


def _cleared(update: ProjectUpdate) -> str:
    words = {"https_token": "https token", "identity": "SSH identity"}
    if not update.cleared:
        return ""
    gone = " and the ".join(words[name] for name in update.cleared)
    return (
        f" Its remote changed, so the {gone} it had were removed: an admin gives them again "
        "for the new remote."
    )


routes = [
    Route("/admin/projects", list_projects, methods=["GET"]),
    Route("/admin/projects", create_project, methods=["POST"]),
    Route("/admin/projects/{project_id:int}", edit_project, methods=["GET"]),
    Route("/admin/projects/{project_id:int}", update_project, methods=["POST"]),
]
