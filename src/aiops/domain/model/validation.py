"""Validation of the names that reach paths, URLs, git and tmux.

Each function returns the normalised value or raises ValidationError with a message
that says what a valid value looks like.
"""

from __future__ import annotations

import re

from aiops.domain.errors import ValidationError

SLUG_MAX = 63
# The patterns as text too: the JSON API publishes (and checks) the same ones.
SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"  # no leading, trailing or double hyphen
COLOR_PATTERN = r"#[0-9a-fA-F]{6}"
USERNAME_PATTERN = r"[a-z_][a-z0-9_-]{0,31}"
_SLUG = re.compile(SLUG_PATTERN)
_COLOR = re.compile(COLOR_PATTERN)
_USERNAME = re.compile(USERNAME_PATTERN)
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SCP_LIKE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+")
# One C-level scan each instead of a Python loop per character: entities are validated every
# time they are loaded, and a listing loads hundreds.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_IN_BRANCH = re.compile(r"[\x00-\x1f\x7f ~^:?*\[\\]")
_URL_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
HTTPS_TOKEN_MAX = 4096
EMAIL_LOCAL_MAX = 64
REPO_URL_MAX = 2048


def slug(value: str, *, field: str = "slug") -> str:
    if len(value) > SLUG_MAX or not _SLUG.fullmatch(value) or "--" in value:
        raise ValidationError(
            field,
            f"{value[:80]!r} is not a valid slug: use 1-{SLUG_MAX} lowercase letters, digits "
            "and single hyphens, starting and ending with a letter or digit (e.g. 'acme-web')",
        )
    return value


def color(value: str, *, field: str = "color") -> str:
    if not _COLOR.fullmatch(value):
        raise ValidationError(
            field, f"{value[:80]!r} is not a colour: use #RRGGBB hex, e.g. '#3b82f6'"
        )
    return value.lower()


def display_name(value: str, *, field: str = "name", max_length: int = 200) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValidationError(field, "must not be blank")
    if len(cleaned) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    if _CONTROL.search(cleaned):
        raise ValidationError(field, "must not contain control characters")
    return cleaned


def email(value: str, *, field: str = "email") -> str:
    """A pragmatic address check: ASCII local@domain.tld, normalised to lower case."""
    candidate = value.strip().lower()
    local, at, domain = candidate.rpartition("@")
    labels = domain.split(".")
    valid = (
        at == "@"
        and len(candidate) <= 254
        and 0 < len(local) <= EMAIL_LOCAL_MAX
        and _EMAIL_LOCAL.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )
    if not valid:
        raise ValidationError(
            field, f"{value[:80]!r} is not a valid email address (expected name@example.com)"
        )
    return candidate


def username(value: str, *, field: str = "username") -> str:
    """A name that is also a valid Linux account name (it becomes a path and a tmux name)."""
    if not _USERNAME.fullmatch(value):
        raise ValidationError(
            field,
            f"{value[:80]!r} is not a valid username: use up to 32 lowercase letters, digits, "
            "'_' or '-', starting with a letter or '_'",
        )
    return value


def username_from_email(address: str) -> str:
    """Derive a username from an email's local part ('Ivo.Petrov+x@...' -> 'ivo_petrov_x')."""
    local = address.partition("@")[0].lower()
    cleaned = re.sub(r"[^a-z0-9_-]", "_", local).strip("-")
    if not cleaned or not (cleaned[0].isalpha() or cleaned[0] == "_"):
        cleaned = f"u_{cleaned}"
    return cleaned[:32]


def branch(value: str, *, field: str = "branch") -> str:
    """git check-ref-format --branch rules, plus: a branch never starts with '-' and is never
    '@' alone (git's shorthand for HEAD in revisions)."""
    problems = (
        not value
        or len(value) > 255
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", ".", ".lock"))
        or value in ("@", "HEAD")
        or ".." in value
        or "//" in value
        or "@{" in value
        or "/." in value
        or ".lock/" in value
        or _NOT_IN_BRANCH.search(value) is not None
    )
    if problems:
        raise ValidationError(field, f"{value[:80]!r} is not a valid git branch name")
    return value


def repo_url(value: str, *, field: str = "repo_url") -> str:
    """A git remote: http(s)/ssh/git/file URL, scp-like user@host:path, or an absolute path."""
    candidate = value.strip()
    valid = (
        0 < len(candidate) <= REPO_URL_MAX
        and not candidate.startswith("-")
        and not any(ch.isspace() or ord(ch) < 32 for ch in candidate)
        and (
            (candidate.startswith(_URL_SCHEMES) and len(candidate.split("://", 1)[1]) > 0)
            or _SCP_LIKE.fullmatch(candidate) is not None
            or candidate.startswith("/")
        )
    )
    if not valid:
        raise ValidationError(
            field,
            f"{value[:80]!r} is not a git remote: use https://, ssh://, git://, file://, "
            "user@host:path or an absolute path",
        )
    return candidate


def https_token(value: str, *, field: str = "https_token") -> str:
    """A git host's access token, as given: 1-4096 visible ASCII characters (it travels in an
    HTTP basic-auth header), so no whitespace or control characters. Messages never repeat
    the value: it is a secret."""
    if not 0 < len(value) <= HTTPS_TOKEN_MAX:
        raise ValidationError(field, f"must be 1-{HTTPS_TOKEN_MAX} characters")
    if any(not 33 <= ord(ch) <= 126 for ch in value):
        raise ValidationError(
            field,
            "must be visible ASCII characters only: no spaces, line breaks or control characters",
        )
    return value
