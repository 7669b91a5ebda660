"""Keyed locks of this process: one operation at a time per workspace, one install at a time
per tool. How the process keeps them (threads) is the adapter's business."""

from __future__ import annotations

from collections.abc import Hashable
from contextlib import AbstractContextManager
from typing import Protocol


class KeyedLocks(Protocol):
    def hold(self, key: Hashable, *, wait: bool = True) -> AbstractContextManager[bool]:
        """Hold `key` for the `with` block. With `wait`, wait for its turn (yields True);
        without, take it only if it is free (yields whether it was taken; the block runs
        either way and decides what to do)."""
        ...
