from __future__ import annotations

from typing import Protocol


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; False (never an exception) when it does not."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...
