"""What every page handler shares: templates, the signed-in actor, flash messages, forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from aiops import __version__
from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.outside_text import web_link
from aiops.domain.usecases.auth import SessionCookie, Viewer
from aiops.entrypoints import humanize
from aiops.entrypoints.http.middleware import CSRF_FIELD, csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html
templates.env.filters.update(
    ago=humanize.ago,
    tracking=humanize.tracking,
    changes=humanize.changes,
    duration=humanize.duration,
    web_link=web_link,  # only http(s) URLs from outside become links
)
FIELD_MAX = 10_000


class SignInRequired(Exception):
    """Raised by pages for anonymous visitors: they are sent to /login."""


def container(request: Request) -> Container:
    app_container: Container = request.app.state.container
    return app_container


async def current_actor(request: Request) -> Actor | None:
    """The signed-in user, loaded once per request (None for anonymous visitors)."""
    viewer = await current_viewer(request)
    return viewer.actor if viewer else None


async def current_viewer(request: Request) -> Viewer | None:
    """A cookie of a user since signed out everywhere (another session generation, or none:
    a cookie from before generations) is anonymous, and cleared."""
    if "viewer" not in request.scope:
        user_id, generation = request.session.get("uid"), request.session.get("gen")
        viewer = None
        if isinstance(user_id, int) and isinstance(generation, int):
            cookie = SessionCookie(user_id=user_id, session_generation=generation)
            viewer = await run_in_threadpool(container(request).load_viewer(), cookie)
        if viewer is None and "uid" in request.session:
            request.session.clear()
        request.scope["viewer"] = viewer
        request.scope["actor"] = viewer.actor if viewer else None
    cached: Viewer | None = request.scope["viewer"]
    return cached


def remember(request: Request, user_id: int, session_generation: int) -> None:
    """This browser's session is the user's, at their current session generation."""
    request.session["uid"] = user_id
    request.session["gen"] = session_generation


async def require_actor(request: Request) -> Actor:
    actor = await current_actor(request)
    if actor is None:
        raise SignInRequired
    return actor


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def safe_next(target: str) -> str:
    """Only a local path: never another host (`//evil`, `https://...`, `/\\evil`)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def form(request: Request) -> FormData:
    data = await request.form(max_files=0, max_fields=200)
    for key, value in data.items():
        if isinstance(value, str) and len(value) > FIELD_MAX:
            raise ValidationError(key, f"must be at most {FIELD_MAX} characters")
    return data


def field(data: FormData, name: str, default: str = "") -> str:
    value = data.get(name, default)
    return value if isinstance(value, str) else default


async def call(fn: Any, *args: Any) -> Any:
    """Run a (blocking) use case off the event loop."""
    return await run_in_threadpool(fn, *args)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    actor = request.scope.get("actor")
    messages = request.session.pop("flash", []) if "session" in request.scope else []
    response: Response = templates.TemplateResponse(
        request,
        template,
        {
            "actor": actor,
            "version": __version__,
            "messages": messages,
            "csrf_field": CSRF_FIELD,
            "csrf_token": csrf_token(request.session) if "session" in request.scope else "",
            **context,
        },
        status_code=status_code,
    )
    return response


def number(name: str, text: str, default: int) -> int:
    if not text:
        return default
    if not text.isdigit() or len(text) > 9:
        raise ValidationError(name, "must be a whole number")
    return int(text)
