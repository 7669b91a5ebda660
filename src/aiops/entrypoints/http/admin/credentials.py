"""Admin -> Settings: the "Codex", "Gemini" and "Claude" cards, where an admin pastes a user's
credentials for a tool. What is pasted goes to the store and never comes back: the cards show
who has credentials saved, when, and a fingerprint."""

from __future__ import annotations

from typing import Any

import attrs
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aiops.domain.errors import DomainError, ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.credentials import CLAUDE_KEY, CREDENTIAL_TOOLS, kind_of
from aiops.domain.model.sessions import Tool
from aiops.domain.usecases.credentials import SetCredentialsCommand
from aiops.entrypoints.http.admin._common import require_admin
from aiops.entrypoints.http.web import call, container, field, flash, form, redirect

SETTINGS = "/admin/settings"
ID_DIGITS = 9
TITLES = {Tool.CODEX: "Codex", Tool.GEMINI: "Gemini", Tool.CLAUDE: "Claude"}
HINTS = {
    "auth.json": "auth.json: the content of ~/.codex/auth.json after codex login",
    "oauth_creds.json": "oauth_creds.json: the content of ~/.gemini/oauth_creds.json",
    "google_accounts.json": "google_accounts.json (optional): ~/.gemini/google_accounts.json",
    CLAUDE_KEY: "API key or OAuth token (sk-ant-..., e.g. from claude setup-token)",
}


@attrs.frozen(kw_only=True)
class Card:
    tool: str
    title: str
    fields: list[tuple[str, str, bool]]  # form field (the file name), label, secret one-liner
    saved: list[tuple[str, str, str]]  # user, saved at, fingerprint


async def credential_cards(request: Request, actor: Actor) -> dict[str, Any]:
    """What the settings page needs for the cards (its template includes them)."""
    overview = await call(container(request).list_credentials(), actor)
    cards = [
        Card(
            tool=tool.value,
            title=TITLES[tool],
            fields=[(name, HINTS[name], name == CLAUDE_KEY) for name in kind_of(tool).names],
            saved=[
                (
                    entry.user.username,
                    entry.info.saved_at.strftime("%Y-%m-%d %H:%M"),
                    entry.info.fingerprint,
                )
                for entry in overview.saved[tool]
            ],
        )
        for tool in CREDENTIAL_TOOLS
    ]
    return {"credential_cards": cards, "credential_users": overview.users}


def _title(tool: str) -> str:
    return next((title for t, title in TITLES.items() if t.value == tool), "Credentials")


def _user_id(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > ID_DIGITS:
        raise ValidationError("user", "choose a user from the list")
    return int(value)


async def save_credentials(request: Request) -> Response:
    """Save, then back to the settings page with what happened (the paste is never re-shown,
    not even after a mistake: it is pasted again)."""
    actor = await require_admin(request)
    tool = request.path_params["tool"]
    try:
        kind = kind_of(tool)
        data = await form(request)
        files = {name: field(data, name).encode() for name in kind.names}
        cmd = SetCredentialsCommand(
            tool=kind.tool, files=files, user_id=_user_id(field(data, "user_id")), actor=actor
        )
        saved = await call(container(request).set_credentials(), cmd)
    except DomainError as error:
        flash(request, f"{_title(tool)}: {error.message}", "error")
        return redirect(SETTINGS)
    info = saved.info
    flash(
        request,
        f"{TITLES[info.tool]} credentials saved for {saved.user.username}, "
        f"fingerprint {info.fingerprint}.",
    )
    if saved.mirror_error:
        flash(request, f"Not copied into their HOME: {saved.mirror_error}", "error")
    return redirect(SETTINGS)


routes = [Route("/admin/credentials/{tool}", save_credentials, methods=["POST"])]
