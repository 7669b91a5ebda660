"""SqlSealedSecretStore: every sealed column of the schema, and the secret key probe."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Connection, Table, delete, insert, select, update

from aiops.adapters.sqlalchemy import tables as t
from aiops.ports.unit_of_work import SealedSecret

# kind -> (table, sealed column). A new sealed column belongs here, or rotation misses it
# (tests/integration/test_sealed_secrets.py compares this with the schema).
SEALED: dict[str, tuple[Table, Column[str]]] = {
    "project https token": (t.projects, t.projects.c.https_token_sealed),
    "tracker token": (t.tracker_connections, t.tracker_connections.c.token_sealed),
    "tracker webhook secret": (
        t.tracker_connections,
        t.tracker_connections.c.webhook_secret_sealed,
    ),
    "notification url": (t.notification_targets, t.notification_targets.c.url_sealed),
}


class SqlSealedSecretStore:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def probe(self) -> str | None:
        return self._c.execute(select(t.secret_key_probe.c.sealed)).scalar_one_or_none()

    def set_probe(self, sealed: str) -> None:
        self._c.execute(delete(t.secret_key_probe))
        self._c.execute(insert(t.secret_key_probe).values(id=1, sealed=sealed))

    def all(self) -> Sequence[SealedSecret]:
        found: list[SealedSecret] = []
        for kind, (table, column) in SEALED.items():
            query = select(table.c.id, column).where(column.is_not(None)).order_by(table.c.id)
            found += [
                SealedSecret(kind, row_id, sealed) for row_id, sealed in self._c.execute(query)
            ]
        return found

    def replace(self, secret: SealedSecret, sealed: str) -> None:
        table, column = SEALED[secret.kind]
        self._c.execute(update(table).where(table.c.id == secret.owner_id).values({column: sealed}))
