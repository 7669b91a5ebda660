"""SqlWorktreeRepository: the worktrees aiops made (one per task)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
from sqlalchemy import ColumnElement, Connection, Row, delete, insert, select

from aiops.adapters.sqlalchemy import tables as t
from aiops.adapters.sqlalchemy.repositories import (
    MAX_ID,
    _conflict_on_integrity_error,
    _new_id,
    _values,
)
from aiops.domain.model.worktrees import Worktree


def worktree_from_row(row: Row[Any]) -> Worktree:
    return Worktree(
        id=row.id,
        user_id=row.user_id,
        project_id=row.project_id,
        issue_id=row.issue_id,
        branch=row.branch,
        path=row.path,
        created_at=row.created_at,
    )


class SqlWorktreeRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, worktree: Worktree) -> Worktree:
        with _conflict_on_integrity_error("worktree"):
            result = self._c.execute(insert(t.worktrees).values(_values(worktree)))
        return attrs.evolve(worktree, id=_new_id(result))

    def get(self, worktree_id: int) -> Worktree | None:
        if not 0 < worktree_id <= MAX_ID:
            return None
        row = self._c.execute(select(t.worktrees).where(t.worktrees.c.id == worktree_id)).first()
        return None if row is None else worktree_from_row(row)

    def delete(self, worktree_id: int) -> None:
        if 0 < worktree_id <= MAX_ID:
            self._c.execute(delete(t.worktrees).where(t.worktrees.c.id == worktree_id))

    def list(
        self, *, project_id: int | None = None, user_id: int | None = None
    ) -> Sequence[Worktree]:
        c = t.worktrees.c
        criteria: list[ColumnElement[bool]] = []
        if project_id is not None:
            criteria.append(c.project_id == project_id)
        if user_id is not None:
            criteria.append(c.user_id == user_id)
        rows = self._c.execute(select(t.worktrees).where(*criteria).order_by(c.id))
        return [worktree_from_row(row) for row in rows]
