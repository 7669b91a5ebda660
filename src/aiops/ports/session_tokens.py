"""The per-session secret a session's hook command proves itself with (issue 18).

A token is bound to one session and its Linux account: the token of session 7 run as
`alice` says nothing about session 8, or about session 7 claimed by another account.
"""

from __future__ import annotations

from typing import Protocol


class SessionTokens(Protocol):
    def issue(self, session_id: int, account: str) -> str:
        """The token the session's environment holds as AIOPS_SESSION_TOKEN."""
        ...

    def valid(self, session_id: int, account: str, token: str) -> bool:
        """Whether `token` is that session's (a constant-time comparison)."""
        ...
