"""/api/v1 (tenants, projects, identities, users, members): token -> command -> use case -> JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import (
    CreateProjectCommand,
    ListProjectsQuery,
    UpdateProjectCommand,
)
from aiops.domain.usecases.tenants import CreateTenantCommand, UpdateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from aiops.entrypoints.http.api._io import api_actor, body, out, path_slug, query
from aiops.entrypoints.http.api.outputs import (
    Identity,
    Me,
    Member,
    Membership,
    Project,
    ProjectUpdated,
    Tenant,
    User,
)
from aiops.entrypoints.http.api.shapes import (
    MemberIn,
    ProjectIn,
    ProjectPatch,
    TenantIn,
    TenantPatch,
    UserIn,
)
from aiops.entrypoints.http.api.types import Slug
from aiops.entrypoints.http.web import call, container
from aiops.entrypoints.jsonable import jsonable

PREFIX = "/api/v1"


async def list_tenants(request: Request) -> Response:
    actor = await api_actor(request)
    return out(list[Tenant], await call(container(request).list_tenants(), actor))


async def create_tenant(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, TenantIn)
    cmd = CreateTenantCommand(slug=data.slug, name=data.name, color=data.color, actor=actor)
    return out(Tenant, await call(container(request).create_tenant(), cmd), 201)


async def get_tenant(request: Request) -> Response:
    actor = await api_actor(request)
    return out(Tenant, await call(container(request).get_tenant(), path_slug(request), actor))


async def update_tenant(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, TenantPatch)
    cmd = UpdateTenantCommand(
        slug=path_slug(request), name=data.name, color=data.color, actor=actor
    )
    return out(Tenant, await call(container(request).update_tenant(), cmd))


async def list_projects(request: Request) -> Response:
    actor = await api_actor(request)
    try:
        tenant = query(request, "tenant", Slug)
    except ValidationError:  # as for a tenant that does not exist: a name that cannot be one
        raise NotFound(f"tenant {request.query_params['tenant'][:80]!r} does not exist") from None
    listing = ListProjectsQuery(tenant=tenant, actor=actor)
    return out(list[Project], await call(container(request).list_projects(), listing))


async def create_project(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, ProjectIn)
    cmd = CreateProjectCommand(
        tenant=data.tenant,
        slug=data.slug,
        name=data.name,
        repo_url=data.repo_url,
        default_branch=data.default_branch,
        identity_id=data.identity_id,
        https_token=data.https_token,
        clone_filter=data.clone_filter.value,
        clone_depth=data.clone_depth,
        actor=actor,
    )
    return out(Project, await call(container(request).create_project(), cmd), 201)


async def get_project(request: Request) -> Response:
    actor = await api_actor(request)
    project_id = request.path_params["project_id"]
    return out(Project, await call(container(request).get_project(), project_id, actor))


async def update_project(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, ProjectPatch)
    cmd = UpdateProjectCommand(
        project_id=request.path_params["project_id"],
        name=data.name,
        repo_url=data.repo_url,
        default_branch=data.default_branch,
        identity_id=data.identity_id,
        clear_identity=data.clear_identity,
        https_token=data.https_token,
        clear_https_token=data.clear_https_token,
        clone_filter=None if data.clone_filter is None else data.clone_filter.value,
        clone_depth=data.clone_depth,
        auto_pull_request=data.auto_pull_request,
        auto_review_to_agent=data.auto_review_to_agent,
        actor=actor,
    )
    update = await call(container(request).update_project(), cmd)
    return out(ProjectUpdated, {**jsonable(update.project), "cleared": list(update.cleared)})


async def list_identities(request: Request) -> Response:
    actor = await api_actor(request)
    listed = await call(container(request).list_identities(), actor)
    return out(
        list[Identity],
        [{**jsonable(item.identity), "owner_email": item.owner_email} for item in listed],
    )


async def list_users(request: Request) -> Response:
    actor = await api_actor(request)
    return out(list[User], await call(container(request).list_users(), actor))


async def create_user(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, UserIn)
    cmd = CreateUserCommand(
        email=data.email,
        name=data.name,
        username=data.username,
        is_admin=data.is_admin,
        linux_username=data.linux_username,
        actor=actor,
    )
    return out(User, await call(container(request).create_user(), cmd), 201)


async def me(request: Request) -> Response:
    actor = await api_actor(request)
    roles = {str(tenant): role for tenant, role in actor.roles.items()}
    return out(
        Me, {"id": actor.user_id, "email": actor.name, "is_admin": actor.is_admin, "roles": roles}
    )


async def list_members(request: Request) -> Response:
    actor = await api_actor(request)
    members = await call(container(request).list_members(), path_slug(request), actor)
    return out(
        list[Member],
        [
            {**jsonable(m.user), "user_id": m.user.id, "role": m.role, "source": m.source}
            for m in members
        ],
    )


async def put_member(request: Request) -> Response:
    actor = await api_actor(request)
    data = await body(request, MemberIn)
    cmd = AddMemberCommand(tenant=path_slug(request), email=data.email, role=data.role, actor=actor)
    membership = await call(container(request).add_member(), cmd)
    return out(Membership, membership)


routes = [
    Route(f"{PREFIX}/tenants", list_tenants, methods=["GET"]),
    Route(f"{PREFIX}/tenants", create_tenant, methods=["POST"]),
    Route(f"{PREFIX}/tenants/{{slug}}", get_tenant, methods=["GET"]),
    Route(f"{PREFIX}/tenants/{{slug}}", update_tenant, methods=["PATCH"]),
    Route(f"{PREFIX}/tenants/{{slug}}/members", list_members, methods=["GET"]),
    Route(f"{PREFIX}/tenants/{{slug}}/members", put_member, methods=["PUT"]),
    Route(f"{PREFIX}/projects", list_projects, methods=["GET"]),
    Route(f"{PREFIX}/projects", create_project, methods=["POST"]),
    Route(f"{PREFIX}/projects/{{project_id:int}}", get_project, methods=["GET"]),
    Route(f"{PREFIX}/projects/{{project_id:int}}", update_project, methods=["PATCH"]),
    Route(f"{PREFIX}/identities", list_identities, methods=["GET"]),
    Route(f"{PREFIX}/users", list_users, methods=["GET"]),
    Route(f"{PREFIX}/users", create_user, methods=["POST"]),
    Route(f"{PREFIX}/users/me", me, methods=["GET"]),
]
