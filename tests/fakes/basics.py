"""Fakes of the clock, the password hasher and the secret box."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime, timedelta

from aiops.domain.errors import (
    SecretUnreadable,
)


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakePasswordHasher:
    """Deterministic and fast; never stores the password itself."""

    def hash(self, password: str) -> str:
        return "fake$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        return False


class FakeSecretBox:
    """Reversible and plainly not the plaintext: "sealed:" + base64. Records what it sealed.
    Another `key` gives another prefix: a box opens only what a box with its key sealed."""

    def __init__(self, key: str = "") -> None:
        self.PREFIX = f"sealed{key}:"
        self.sealed: list[str] = []

    def seal(self, plaintext: str) -> str:
        sealed = self.PREFIX + base64.b64encode(plaintext.encode()).decode()
        self.sealed.append(sealed)
        return sealed

    def open(self, sealed: str) -> str:
        if not sealed.startswith(self.PREFIX):
            raise SecretUnreadable("a stored secret cannot be read; set it again")
        try:
            return base64.b64decode(sealed.removeprefix(self.PREFIX), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise SecretUnreadable("a stored secret cannot be read; set it again") from None
