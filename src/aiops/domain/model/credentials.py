"""What each AI tool accepts as credentials, and how a paste is checked before it is stored.

Codex reads `auth.json` (an OpenAI API key and/or ChatGPT tokens), Gemini CLI reads
`oauth_creds.json` (Google OAuth tokens) and `google_accounts.json` (which account is active),
Claude Code takes an API key or OAuth token (`sk-ant-...`) from its environment. A paste is
checked for shape only (JSON parses, the keys the tool needs are there): whether the tokens
still work is the tool's business. No message here ever repeats what was pasted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aiops.domain.errors import DomainError, ValidationError
from aiops.domain.model.sessions import Tool

CODEX_AUTH = "auth.json"
GEMINI_OAUTH = "oauth_creds.json"
GEMINI_ACCOUNTS = "google_accounts.json"
CLAUDE_KEY = "key"  # aiops's own name: Claude Code reads the key from its environment
MAX_BYTES = 64 * 1024
CLAUDE_KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_-]{16,400}")
EMAIL_SHAPE = re.compile(r"[^@\s]{1,200}@[^@\s]{1,200}")


class CredentialsRefused(DomainError):
    """Credentials could not be stored or mirrored safely (a symlink where a folder should be,
    a folder that is not a folder...)."""

    code = "credentials_refused"


def _json_object(name: str, content: bytes) -> dict[str, Any]:
    try:
        value = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationError(name, "is not UTF-8 text") from None
    except json.JSONDecodeError as error:  # its message names a position, never the text
        raise ValidationError(
            name, f"is not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(value, dict):
        raise ValidationError(name, "must be a JSON object ({...})")
    return value


def _text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _codex_auth(content: bytes) -> bytes:
    """`{"OPENAI_API_KEY": "sk-..." | null, "tokens": {"id_token", "access_token",
    "refresh_token", "account_id"?}, "last_refresh": "..."}`: an API key, tokens, or both."""
    data = _json_object(CODEX_AUTH, content)
    tokens = data.get("tokens")
    has_key = _text(data.get("OPENAI_API_KEY"))
    if tokens is not None:
        needed = ("id_token", "access_token", "refresh_token")
        if not isinstance(tokens, dict) or not all(_text(tokens.get(k)) for k in needed):
            raise ValidationError(
                CODEX_AUTH, "tokens must hold id_token, access_token and refresh_token strings"
            )
    elif not has_key:
        raise ValidationError(
            CODEX_AUTH, 'needs "tokens" (from codex login) or an "OPENAI_API_KEY" string'
        )
    if "last_refresh" in data and not isinstance(data["last_refresh"], str | None):
        raise ValidationError(CODEX_AUTH, "last_refresh must be a timestamp string")
    return content


def _gemini_oauth(content: bytes) -> bytes:
    """`{"access_token", "refresh_token", "expiry_date" (ms), "token_type", "scope"?,
    "id_token"?}`: without a refresh token the CLI stops working within the hour."""
    data = _json_object(GEMINI_OAUTH, content)
    if not _text(data.get("refresh_token")):
        raise ValidationError(GEMINI_OAUTH, "needs a refresh_token string")
    if "access_token" in data and not isinstance(data["access_token"], str):
        raise ValidationError(GEMINI_OAUTH, "access_token must be a string")
    expiry = data.get("expiry_date")
    if expiry is not None and (isinstance(expiry, bool) or not isinstance(expiry, int | float)):
        raise ValidationError(GEMINI_OAUTH, "expiry_date must be a number (milliseconds)")
    return content


def _gemini_accounts(content: bytes) -> bytes:
    """`{"active": "someone@example.com" | null, "old": ["..."]}`."""
    data = _json_object(GEMINI_ACCOUNTS, content)
    active, old = data.get("active"), data.get("old", [])
    if "active" not in data or not (active is None or _email(active)):
        raise ValidationError(GEMINI_ACCOUNTS, 'needs "active": the signed-in email (or null)')
    if not isinstance(old, list) or not all(_email(item) for item in old):
        raise ValidationError(GEMINI_ACCOUNTS, '"old" must be a list of emails')
    return content


def _email(value: object) -> bool:
    return isinstance(value, str) and EMAIL_SHAPE.fullmatch(value) is not None


def _claude_key(content: bytes) -> bytes:
    """One line `sk-ant-...` (an API key or an OAuth token from `claude setup-token`), kept
    without its line end."""
    try:
        key = content.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ValidationError("key", "must be an sk-ant-... key or token") from None
    if not CLAUDE_KEY_SHAPE.fullmatch(key):
        raise ValidationError("key", "must be an sk-ant-... key or token on one line")
    return key.encode()


@attrs.frozen(kw_only=True)
class CredentialKind:
    """What one tool accepts: its file names (the first is the main one, what a single paste
    or --stdin means), which of them are required, and which are copied into the tool's
    config folder (the rest reach the session through its environment)."""

    tool: Tool
    checks: Mapping[str, Callable[[bytes], bytes]]
    required: frozenset[str]
    mirrored: frozenset[str]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.checks)

    @property
    def main(self) -> str:
        return self.names[0]


KINDS: Mapping[Tool, CredentialKind] = {
    Tool.CODEX: CredentialKind(
        tool=Tool.CODEX,
        checks={CODEX_AUTH: _codex_auth},
        required=frozenset({CODEX_AUTH}),
        mirrored=frozenset({CODEX_AUTH}),
    ),
    Tool.GEMINI: CredentialKind(
        tool=Tool.GEMINI,
        checks={GEMINI_OAUTH: _gemini_oauth, GEMINI_ACCOUNTS: _gemini_accounts},
        required=frozenset({GEMINI_OAUTH}),
        mirrored=frozenset({GEMINI_OAUTH, GEMINI_ACCOUNTS}),
    ),
    Tool.CLAUDE: CredentialKind(
        tool=Tool.CLAUDE,
        checks={CLAUDE_KEY: _claude_key},
        required=frozenset({CLAUDE_KEY}),
        mirrored=frozenset(),
    ),
}
CREDENTIAL_TOOLS = tuple(KINDS)


def kind_of(tool: Tool | str) -> CredentialKind:
    parsed = tool if isinstance(tool, Tool) else Tool.parse(tool)
    kind = KINDS.get(parsed)
    if kind is None:
        allowed = "|".join(t.value for t in KINDS)
        raise ValidationError("tool", f"{parsed.value!r} takes no credentials (use {allowed})")
    return kind


def file_name_for(tool: Tool, given: str) -> str:
    """Which of the tool's files a file called `given` is: its own name when the tool knows
    it, else the main file when the tool takes just one (a Claude key in `key.txt`)."""
    kind = kind_of(tool)
    if given in kind.checks:
        return given
    if len(kind.checks) == 1:
        return kind.main
    raise ValidationError(
        "file", f"{given[:80]!r} is not one of {tool.value}'s files ({', '.join(kind.names)})"
    )


def validate_credentials(tool: Tool, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files as they will be stored, once each has the shape its tool reads."""
    kind = kind_of(tool)
    for name in files:
        if name not in kind.checks:
            raise ValidationError(
                "file",
                f"{name[:80]!r} is not one of {tool.value}'s files ({', '.join(kind.names)})",
            )
    missing = sorted(kind.required - {name for name, content in files.items() if content.strip()})
    if missing:
        raise ValidationError("file", f"{tool.value} needs {', '.join(missing)}")
    checked = {}
    for name, content in files.items():
        if not content.strip():
            continue
        if len(content) > MAX_BYTES:
            raise ValidationError(name, f"is larger than {MAX_BYTES // 1024} KiB")
        checked[name] = kind.checks[name](content)
    return checked


def fingerprint(files: Mapping[str, bytes]) -> str:
    """A short digest of what was saved, to tell two saves apart (never reversible to it)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()[:12]


def session_env(tool: Tool, secret: str | None) -> dict[str, str]:
    """What a launched tool's environment gets (and nothing else does): Claude's key or token,
    always as CLAUDE_CODE_OAUTH_TOKEN (the name scripts rely on); an API key (`sk-ant-api...`)
    also as ANTHROPIC_API_KEY, the variable Claude Code reads API keys from."""
    if tool is not Tool.CLAUDE or not secret:
        return {}
    env = {"CLAUDE_CODE_OAUTH_TOKEN": secret}
    if secret.startswith("sk-ant-api"):
        env["ANTHROPIC_API_KEY"] = secret
    return env
