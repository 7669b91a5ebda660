"""A fake of the SSH key store (ports/key_store.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from aiops.domain.errors import (
    NotFound,
)
from aiops.domain.model.identities import KeyRefused
from aiops.ports.key_store import ImportedKey


@attrs.frozen
class FakeKeyFile:
    """A key file in a FakeKeyStore's source folders: its public key, or why it is refused."""

    public_key: str | None = None
    refusal: str | None = None


class FakeKeyStore:
    """Source folders as a dict of path -> FakeKeyFile; records what it imported, by name."""

    def __init__(self, keys_dir: Path = Path("/instance/keys")) -> None:
        self.keys_dir = keys_dir
        self.files: dict[Path, FakeKeyFile] = {}
        self.stored: dict[str, str] = {}  # name -> public key of the stored private key

    def add_key(self, path: Path, public_key: str) -> None:
        self.files[path] = FakeKeyFile(public_key=public_key)

    def add_bad_file(self, path: Path, refusal: str) -> None:
        self.files[path] = FakeKeyFile(refusal=refusal)

    def private_keys_in(self, source_dir: Path) -> Sequence[Path]:
        found = sorted(p for p in self.files if p.parent == source_dir)
        if not found:
            raise NotFound(f"source folder {str(source_dir)!r} does not exist")
        return found

    def public_key_of(self, source: Path) -> str:
        file = self.files.get(source)
        if file is None:
            raise KeyRefused("no such file")
        if file.public_key is None:
            raise KeyRefused(file.refusal or "refused")
        return file.public_key

    def import_private_key(self, name: str, source: Path) -> ImportedKey:
        public_key = self.public_key_of(source)
        self.stored[name] = public_key
        return ImportedKey(path=self.keys_dir / name, public_key=public_key)
