"""Domain errors: each carries a message a user can act on.

Entrypoints map these classes to a 4xx page, a JSON error or a CLI line with exit 1;
the mapping lives in one table per entrypoint.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause and fix."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """An input does not satisfy a domain rule (slug, colour, email, ...)."""

    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    """The change would break a uniqueness rule (duplicate slug, email, ...)."""

    code = "conflict"


class PermissionDenied(DomainError):
    code = "forbidden"


class AuthenticationFailed(DomainError):
    """Wrong email, password or token — deliberately without saying which."""

    code = "unauthenticated"


class SecretUnreadable(DomainError):
    """A sealed secret was altered, or sealed under another secret key; it must be set again."""

    code = "secret_unreadable"


class SecretKeyMismatch(DomainError):
    """The secret key cannot open what the database holds: the wrong key, or none at all."""

    code = "secret_key_mismatch"


class TooManyAttempts(DomainError):
    code = "throttled"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccountRefused(PermissionDenied):
    """aiops may not act as that Linux account (root, a system or denied account, one no
    aiops user is mapped to), or cannot (it is not root and has no launcher)."""

    code = "account_refused"
