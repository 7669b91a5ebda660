"""KeyStore: where imported SSH private keys are kept, and how a key file is read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import attrs


@attrs.frozen
class ImportedKey:
    path: Path  # the stored copy of the private key (mode 0600)
    public_key: str  # its public key line


class KeyStore(Protocol):
    def private_keys_in(self, source_dir: Path) -> Sequence[Path]:
        """The files in `source_dir` that may be private keys, sorted by name: every entry but
        folders, dotfiles, `*.pub` and the other files ssh keeps there (known_hosts, config,
        authorized_keys). NotFound when `source_dir` is not a folder."""
        ...

    def public_key_of(self, source: Path) -> str:
        """The public key line of the private key file `source`, read without storing it.
        KeyRefused when the file is not a private key this store accepts."""
        ...

    def import_private_key(self, name: str, source: Path) -> ImportedKey:
        """Copy the private key `source` into the store as `name` (replacing a copy of that
        name), with the same checks as `public_key_of`."""
        ...
