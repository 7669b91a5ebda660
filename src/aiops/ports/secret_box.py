"""SecretBox: secrets aiops must use again later (an https token), sealed for storage."""

from __future__ import annotations

from typing import Protocol


class SecretBox(Protocol):
    def seal(self, plaintext: str) -> str:
        """`plaintext` encrypted and authenticated, as text a database column can hold."""
        ...

    def open(self, sealed: str) -> str:
        """The plaintext `seal` was given. SecretUnreadable when `sealed` was altered or
        sealed under another key."""
        ...
