"""The server's secret key: AIOPS_SECRET_KEY, or one generated once into the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from aiops.adapters.errors import AdapterError

KEY_FILE = "secret.key"
NEW_KEY_FILE = "secret.key.new"  # a rotation's new key until the database holds its seals
MIN_LENGTH = 32


def generate() -> str:
    return secrets.token_urlsafe(48)


def check_length(key: str, where: str) -> str:
    if len(key) < MIN_LENGTH:
        raise AdapterError(f"{where} must be at least {MIN_LENGTH} characters")
    return key


def load_or_create(instance_path: Path, configured: str | None) -> str:
    if configured:
        return check_length(configured, "AIOPS_SECRET_KEY")
    path = instance_path / KEY_FILE
    if path.is_symlink():
        raise AdapterError(f"{path} is a symlink: refusing to read a secret through it")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(generate())
    if path.stat().st_mode & 0o077:
        raise AdapterError(f"{path} is readable by others: chmod 600 {path}")
    return check_length(path.read_text().strip(), f"the key in {path}")


def stage(instance_path: Path, key: str) -> Path:
    """Write a rotation's new key beside the current one (mode 0600); refuse if one is there,
    since an interrupted rotation may have left the only key that opens the database."""
    path = instance_path / NEW_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AdapterError(
            f"{path} exists: an earlier rotation was interrupted. If the server refuses to start, "
            f"that file holds the key: move it to {instance_path / KEY_FILE}; otherwise delete it"
        ) from None
    with os.fdopen(fd, "w") as file:
        file.write(key)
    return path


def install(instance_path: Path) -> Path:
    """Make the staged key the current one (an atomic rename)."""
    path = instance_path / KEY_FILE
    os.replace(instance_path / NEW_KEY_FILE, path)
    return path
