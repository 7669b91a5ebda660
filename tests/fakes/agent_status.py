"""Fakes of the ports issue 18's status uses: session tokens, the tools' hook installer and the
sink of notices. Each records what it did."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from aiops.domain.errors import DomainError
from aiops.domain.model.notifications import Notice
from aiops.domain.model.sessions import SessionRefused, Tool
from aiops.ports.linux_users import LinuxAccount
from aiops.ports.unit_of_work import UnitOfWork


class FakeSessionTokens:
    """Readable tokens ("token-<id>-<account>"); `valid` compares as the real one does."""

    def __init__(self) -> None:
        self.issued: list[tuple[int, str]] = []

    def issue(self, session_id: int, account: str) -> str:
        self.issued.append((session_id, account))
        return f"token-{session_id}-{account}"

    def valid(self, session_id: int, account: str, token: str) -> bool:
        expected = f"token-{session_id}-{account}"
        return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))


class FakeAgentHooks:
    """Records each install as (tool, account name, config_dir); `without` names the tools
    that have no hooks (install answers False), `broken` makes every install refuse."""

    def __init__(self, *, without: frozenset[Tool] = frozenset(), broken: bool = False) -> None:
        self.installed: list[tuple[Tool, str, str]] = []
        self._without = without
        self._broken = broken

    def install(self, tool: Tool, account: LinuxAccount, config_dir: str) -> bool:
        if self._broken:
            raise SessionRefused(f"{config_dir}/settings.json is not JSON: fix or remove it")
        self.installed.append((tool, account.name, config_dir))
        return tool not in self._without


class FakeNoticeSink:
    """Records the notices it was given, with the unit of work they were queued in."""

    def __init__(self, *, fail: bool = False) -> None:
        self.pending: list[tuple[UnitOfWork, Notice]] = []
        self._fail = fail

    def __call__(self, uow: UnitOfWork, notices: Sequence[Notice]) -> None:
        if self._fail:
            raise DomainError("the notice queue refused")
        self.pending.extend((uow, notice) for notice in notices)

    @property
    def notices(self) -> list[Notice]:
        return [notice for _, notice in self.pending]
