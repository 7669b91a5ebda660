"""The server's look at the panes (issue 18): tools without hooks (a shell, a Gemini CLI without
them) and windows that vanish tell aiops nothing, so every `AIOPS_SESSION_REFRESH_SECONDS` the
live sessions are read from their tmux servers (ReconcileSessions: one call per server, in a
thread) and the records whose status changed are saved; the live pages see it through their
stream. One refresh at a time; a failure is logged and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiops.entrypoints.http.web import call
from aiops.log import get_logger

log = get_logger(__name__)
Refresh = Callable[[], tuple[int, int]]  # -> (adopted, exited)


class PaneRefresh:
    def __init__(self, refresh: Callable[[], Refresh], every_seconds: float) -> None:
        self._refresh = refresh
        self._every = every_seconds
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0  # finished refreshes, failed or not

    def start(self) -> None:
        """A background task of the running event loop; nothing when the setting is 0."""
        if self._every > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pane-refresh")

    async def stop(self) -> None:
        """Waits for a refresh under way (its thread cannot be interrupted) and ends."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                _adopted, exited = await call(self._refresh())
            except Exception as error:  # a round must never end the task (nor the server)
                log.warning("sessions.refresh_failed", error=f"{type(error).__name__}: {error}")
            else:
                if exited:
                    log.info("sessions.refreshed", exited=exited)
            self.rounds += 1
