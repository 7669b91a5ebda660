"""KeyedLocks held by this process's threads (the web workers' thread pool, the scheduler)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager


class ProcessLocks:
    """A threading.Lock per key, created on first use and kept (the keys are few: workspaces
    and tools of this host)."""

    def __init__(self) -> None:
        self._locks: defaultdict[Hashable, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key: Hashable, *, wait: bool = True) -> Iterator[bool]:
        with self._guard:
            lock = self._locks[key]
        taken = lock.acquire(blocking=wait)
        try:
            yield taken
        finally:
            if taken:
                lock.release()
