"""Errors an adapter raises when the outside world is not as expected.

Like domain errors they carry a message a user can act on; entrypoints show the message
and exit non-zero (CLI) or answer 503 (HTTP). They never carry a secret: database URLs are
shown with their password masked.
"""

from __future__ import annotations


class AdapterError(Exception):
    code = "unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatabaseUnavailable(AdapterError):
    code = "database_unavailable"


class SchemaOutOfDate(AdapterError):
    code = "schema_out_of_date"


class KeyStoreUnavailable(AdapterError):
    code = "key_store_unavailable"
