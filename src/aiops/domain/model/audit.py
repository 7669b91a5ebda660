"""The audit trail: who did what, where, when — never with a secret in it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import TypeAlias

import attrs

DetailValue: TypeAlias = str | int | float | bool | None
REDACTED = "[redacted]"
# Names under which a value is a secret: audit details and log events never keep such values.
_WORDS = [
    "pass(?:word|wd|phrase)?", "secret", "token", "api[_-]?key", "authorization",
    "private[_-]?key", "cookie", "credential",
]  # fmt: skip
SECRET_WORDS = "|".join(_WORDS)
SECRET_NAME = re.compile(SECRET_WORDS, re.I)
# What happened to a secret, never the secret: kept under a secret-looking key ("https_token").
CHANGE_MARKERS = frozenset({"set", "cleared"})


def scrub(detail: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    """Copy the detail, replacing the value of any secret-looking key (but a change marker)."""
    return {
        key: REDACTED if SECRET_NAME.search(key) and value not in CHANGE_MARKERS else value
        for key, value in detail.items()
    }


@attrs.frozen
class AuditEvent:
    actor: str
    action: str
    target: str
    at: datetime
    tenant: str | None = None
    detail: Mapping[str, DetailValue] = attrs.field(factory=dict, converter=scrub)
    id: int | None = None
