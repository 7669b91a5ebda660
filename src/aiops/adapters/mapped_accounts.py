"""Which Linux accounts belong to an aiops user: the launcher acts for no other.

Read from the users in the database (and AIOPS_LINUX_USER_MAPPING, through the workspace
policy) and kept; a name not in the set reads the users again, at most once a second, so a
user mapped a moment ago is found and a stream of unknown names costs one query a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.ports.unit_of_work import UnitOfWorkFactory

REREAD_AFTER = 1.0


class MappedAccounts:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        policy: WorkspacePolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._clock = clock
        self._names: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self, name: str) -> bool:
        with self._lock:
            now = self._clock()
            if name in self._names:
                return True
            if self._read_at is not None and now - self._read_at < REREAD_AFTER:
                return False
            self._names = self._read()
            self._read_at = now
            return name in self._names

    def _read(self) -> frozenset[str]:
        with self._uow(read_only=True) as uow:
            users = list(uow.users.list())
        names = (self._policy.account_for(user) for user in users)
        return frozenset(name for name in names if name)
