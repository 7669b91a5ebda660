"""Errors an adapter raises when the outside world is not as expected.

Like domain errors they carry a message a user can act on; entrypoints show the message
and exit non-zero (CLI) or answer 503 (HTTP). They never carry a secret: database URLs are
shown with their password masked.
"""

from __future__ import annotations

from aiops.ports.unit_of_work import StorageBusy


class AdapterError(Exception):
    code = "unavailable"
    retry_after: int | None = None  # seconds a client should wait before trying again

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatabaseUnavailable(AdapterError):
    code = "database_unavailable"


class DatabaseBusy(AdapterError, StorageBusy):
    """Another writer held the lock longer than the busy timeout: the transaction was rolled
    back whole, and the same request may simply be sent again."""

    code = "database_busy"
    retry_after = 1

    def __init__(self, message: str = "the database is busy, try again") -> None:
        super().__init__(message)


class SchemaOutOfDate(AdapterError):
    code = "schema_out_of_date"


class KeyStoreUnavailable(AdapterError):
    code = "key_store_unavailable"
