"""The server's secret key: AIOPS_SECRET_KEY, or one generated once into the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from aiops.adapters.errors import AdapterError

KEY_FILE = "secret.key"


def load_or_create(instance_path: Path, configured: str | None) -> str:
    if configured:
        if len(configured) < 32:
            raise AdapterError("AIOPS_SECRET_KEY must be at least 32 characters")
        return configured
    path = instance_path / KEY_FILE
    if path.is_symlink():
        raise AdapterError(f"{path} is a symlink: refusing to read a secret through it")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    if path.stat().st_mode & 0o077:
        raise AdapterError(f"{path} is readable by others: chmod 600 {path}")
    key = path.read_text().strip()
    if len(key) < 32:
        raise AdapterError(f"{path} holds a key shorter than 32 characters")
    return key
