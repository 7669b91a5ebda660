"""ReceiveWebhook: verify a tracker's delivery and record it once.

Once means once by content too: the delivery id header is not signed, so a captured delivery
replayed under a fresh id would count again. A body whose digest was accepted in the last
DELIVERY_MEMORY is a duplicate whatever its id (GitHub, GitLab and Jira alike).

The caller (the HTTP route) answers at once and runs a targeted SyncIssues of the connection
in the background when the outcome is ACCEPTED. Every refusal is one WebhookRejected, whatever
its reason, and nothing of the body is kept or recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import attrs

from aiops.domain.errors import SecretUnreadable
from aiops.domain.model.access import SYSTEM
from aiops.domain.model.trackers import Provider, TrackerConnection
from aiops.domain.model.webhooks import (
    SCHEMES,
    WebhookOutcome,
    WebhookRejected,
    body_digest,
    delivery_id,
)
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import UnitOfWorkFactory

# How long a delivery id and body digest are remembered. Trackers redeliver within hours
# (GitHub's redelivery is by hand, from the last days' deliveries); a week keeps duplicates
# (and replays of a captured signed body under a new delivery id) out without a growing table.
DELIVERY_MEMORY = timedelta(days=7)


@attrs.frozen(kw_only=True)
class ReceiveWebhookCommand:
    provider: Provider
    connection_id: int | None  # None: the URL named none (or nothing that is an id)
    headers: Mapping[str, str] = attrs.field(repr=False)  # lower-case names, SCHEMES' only
    body: bytes = attrs.field(repr=False)


class ReceiveWebhook:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, secret_box: SecretBox) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box

    def __call__(self, cmd: ReceiveWebhookCommand) -> WebhookOutcome:
        connection = self._verified(cmd)
        assert connection.id is not None
        scheme = SCHEMES[cmd.provider]
        delivery = delivery_id(cmd.headers.get(scheme.delivery_header), cmd.body)
        digest = body_digest(cmd.body)  # the id header is not signed: the body is
        with self._uow() as uow:
            now = self._clock.now()
            uow.webhook_deliveries.forget_before(connection.id, now - DELIVERY_MEMORY)
            if not uow.webhook_deliveries.add(connection.id, delivery, now, body_sha256=digest):
                return WebhookOutcome.DUPLICATE  # (nothing committed: the forgetting waits)
            project = uow.projects.get(connection.project_id)
            tenant = uow.tenants.get(project.tenant_id) if project else None
            record(
                uow,
                self._clock,
                actor=SYSTEM.name,
                action="tracker.webhook",
                target=f"tracker:{connection.id}",
                tenant=tenant.slug if tenant else None,
                provider=cmd.provider.value,
                delivery=delivery,
            )
            uow.commit()
        return WebhookOutcome.ACCEPTED

    def _verified(self, cmd: ReceiveWebhookCommand) -> TrackerConnection:
        connection = None
        if cmd.connection_id is not None:
            with self._uow(read_only=True) as uow:
                connection = uow.trackers.get(cmd.connection_id)
        if connection is None:
            raise WebhookRejected("unknown_connection")
        if connection.provider is not cmd.provider:
            raise WebhookRejected("wrong_provider")
        if connection.webhook_secret_sealed is None:
            raise WebhookRejected("no_secret")
        try:
            secret = self._box.open(connection.webhook_secret_sealed).encode()
        except SecretUnreadable:
            raise WebhookRejected("secret_unreadable") from None
        scheme = SCHEMES[cmd.provider]
        if not scheme.verify(secret, cmd.body, cmd.headers.get(scheme.signature_header)):
            raise WebhookRejected("bad_signature")
        return connection
