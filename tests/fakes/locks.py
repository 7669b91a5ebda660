"""A fake of the keyed locks port (ports/locks.py): one thread, so a held key is a set member."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class FakeLocks:
    def __init__(self) -> None:
        self.held: set[Hashable] = set()

    @contextmanager
    def hold(self, key: Hashable, *, wait: bool = True) -> Iterator[bool]:
        if key in self.held:
            assert not wait, f"{key!r} is held: waiting for it would never end in one thread"
            yield False
            return
        self.held.add(key)
        try:
            yield True
        finally:
            self.held.discard(key)
