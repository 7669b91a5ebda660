"""What the server checks before it serves anything."""

from __future__ import annotations

from aiops.adapters.errors import AdapterError
from aiops.adapters.secret_key import KEY_FILE
from aiops.adapters.sqlalchemy.migrations import ensure_current
from aiops.container import Container
from aiops.domain.errors import SecretKeyMismatch


def check_secret_key(container: Container) -> None:
    """SecretKeyMismatch unless the secret key opens the secrets in the database. Call it
    before anything asks the container for the key: a key generated because none was
    configured is then known to be new, and removed again when the database needs another."""
    settings = container.settings()
    key_file = settings.instance_path / KEY_FILE
    key_is_new = settings.secret_key is None and not key_file.exists()
    try:
        container.verify_secret_key()(key_is_new=key_is_new)
    except SecretKeyMismatch:
        if key_is_new:
            key_file.unlink(missing_ok=True)
        raise


def check_secret_key_when_ready(container: Container) -> None:
    """check_secret_key, when the database is reachable and its schema current. Otherwise the
    server still starts, /readyz answers 503 with the reason, and the next start checks."""
    try:
        ensure_current(container.engine())
    except AdapterError:
        return
    check_secret_key(container)
