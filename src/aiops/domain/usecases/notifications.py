"""Notifications (issue 18): users' and tenants' targets (add, list, remove, test), the
NoticeSink that queues one delivery per target wanting a notice (QueueNotices), and the
deliverer that sends due deliveries through the Notifier, retried with backoff and limited per
target (DeliverNotifications: the `notify` job and the web server's delivery thread).

Nothing here sends inside a request: pages and the API queue, a deliverer sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from aiops.domain.errors import DomainError, NotFound, ValidationError
from aiops.domain.model.access import SYSTEM, Actor, Permission, require_acting_for
from aiops.domain.model.notifications import (
    TENANT_EVENTS,
    USER_EVENTS,
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
    NotificationTarget,
    backoff,
    clip_error,
    label,
    mask_url,
    parse_events,
)
from aiops.domain.model.tenants import Tenant
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_user
from aiops.ports.clock import Clock
from aiops.ports.notifications import DeliveryWakeup, Notifier
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

TEST_TITLE = "aiops: test notification"


@attrs.frozen(kw_only=True)
class DeliveryPolicy:
    max_attempts: int = 5  # then the delivery is failed, and the target shows the error
    per_minute: int = 10  # per target; excess deliveries wait their turn, none is dropped
    batch: int = 50  # claimed at once
    lease: timedelta = timedelta(seconds=120)  # a claimed delivery is due again after it
    base_url: str = ""  # AIOPS_URL: links become absolute


@attrs.frozen(kw_only=True)
class TargetOwner:
    """Whose targets: a user's (by email) or a tenant's (by slug), exactly one."""

    user_email: str | None = None
    tenant_slug: str | None = None


def _require_tenant(uow: UnitOfWork, slug: str, actor: Actor, permission: Permission) -> Tenant:
    tenant = uow.tenants.get_by_slug(slug.strip().lower())
    if tenant is None:
        raise NotFound(f"tenant {slug[:80]!r} does not exist")
    actor.require(permission, tenant)
    return tenant


def _owner_ids(
    uow: UnitOfWork, owner: TargetOwner, actor: Actor, permission: Permission
) -> tuple[int | None, int | None]:
    """(user_id, tenant_id) of the owner, when the actor may act for it."""
    if (owner.user_email is None) == (owner.tenant_slug is None):
        raise ValidationError("owner", "give exactly one of --user-email or --tenant")
    if owner.tenant_slug is not None:
        return None, _require_tenant(uow, owner.tenant_slug, actor, permission).id
    assert owner.user_email is not None
    user = require_user(uow, owner.user_email)
    require_acting_for(actor, user, "manage your own notification targets")
    return user.id, None


def require_target(uow: UnitOfWork, target_id: int, actor: Actor) -> NotificationTarget:
    """The target, when the actor owns it (a user's) or manages its tenant; NotFound for
    anyone else, so that nobody learns of another's targets."""
    missing = NotFound(f"notification target {target_id} does not exist")
    target = uow.notification_targets.get(target_id)
    if target is None:
        raise missing
    if target.user_id is not None:
        if not (actor.is_admin or actor.user_id == target.user_id):
            raise missing
        return target
    assert target.tenant_id is not None
    if not actor.may(Permission.MANAGE, target.tenant_id):
        raise missing
    return target


@attrs.frozen(kw_only=True)
class AddTargetCommand:
    owner: TargetOwner
    url: str = attrs.field(repr=False)
    events: str  # "waiting,finished"
    label: str = ""
    actor: Actor = SYSTEM


class AddTarget:
    def __init__(
        self, *, uow: UnitOfWorkFactory, clock: Clock, secret_box: SecretBox, notifier: Notifier
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._notifier = notifier

    def __call__(self, cmd: AddTargetCommand) -> NotificationTarget:
        url = cmd.url.strip()
        masked = mask_url(url)  # refuses what is no URL, or a local scheme
        problem = self._notifier.problem(url)
        if problem is not None:
            raise ValidationError("url", problem)
        allowed = USER_EVENTS if cmd.owner.user_email is not None else TENANT_EVENTS
        events = parse_events(cmd.events, allowed)
        with self._uow() as uow:
            user_id, tenant_id = _owner_ids(uow, cmd.owner, cmd.actor, Permission.MANAGE)
            target = uow.notification_targets.add(
                NotificationTarget(user_id=user_id, tenant_id=tenant_id,
                                   label=label(cmd.label or masked), url_sealed=self._box.seal(url),
                                   url_masked=masked, events=events, created_at=self._clock.now())
            )  # fmt: skip
            record(uow, self._clock, actor=cmd.actor.name, action="notification.added",
                   target=f"notification:{target.id}", tenant=cmd.owner.tenant_slug, url=masked,
                   events=",".join(sorted(events)))  # fmt: skip
            uow.commit()
        return target


class ListTargets:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, owner: TargetOwner, actor: Actor = SYSTEM) -> Sequence[NotificationTarget]:
        with self._uow(read_only=True) as uow:
            user_id, tenant_id = _owner_ids(uow, owner, actor, Permission.MANAGE)
            return uow.notification_targets.list(user_id=user_id, tenant_id=tenant_id)


class RemoveTarget:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, target_id: int, actor: Actor = SYSTEM) -> NotificationTarget:
        with self._uow() as uow:
            target = require_target(uow, target_id, actor)
            uow.notification_targets.remove(target_id)
            record(uow, self._clock, actor=actor.name, action="notification.removed",
                   target=f"notification:{target_id}", url=target.url_masked)  # fmt: skip
            uow.commit()
        return target


class TestTarget:
    """Queue a test message to one target (a deliverer sends it); the queued delivery."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, wakeup: DeliveryWakeup) -> None:
        self._uow = uow
        self._clock = clock
        self._wakeup = wakeup

    def __call__(self, target_id: int, actor: Actor = SYSTEM) -> Delivery:
        now = self._clock.now()
        with self._uow() as uow:
            target = require_target(uow, target_id, actor)
            event = min(target.events) if target.events else NoticeEvent.WAITING
            body = f"A test of the notification target {target.label!r} from aiops."
            delivery = uow.notice_deliveries.add(
                Delivery(target_id=target_id, dedup_key=f"test:{now.isoformat()}", event=event,
                         title=TEST_TITLE, body=body, created_at=now, next_attempt_at=now)
            )  # fmt: skip
            if delivery is None:
                raise DomainError("a test was just queued for this target: wait a moment")
            uow.commit()
        self._wakeup()
        return delivery


def targets_for(uow: UnitOfWork, notice: Notice) -> Sequence[NotificationTarget]:
    """A user's own events go to the user's targets; tenant-wide events to the tenant's (every
    tenant's when the notice names none: a failed job belongs to no tenant)."""
    if notice.event in USER_EVENTS:
        if notice.user_id is None:
            return []
        return uow.notification_targets.wanting(
            notice.event, user_id=notice.user_id, tenant_id=None
        )
    if notice.tenant_id is not None:
        return uow.notification_targets.wanting(
            notice.event, user_id=None, tenant_id=notice.tenant_id
        )
    return [
        target
        for target in uow.notification_targets.list()
        if target.tenant_id is not None and notice.event in target.events
    ]


def delivery_of(notice: Notice, target_id: int, now: datetime) -> Delivery:
    return Delivery(
        target_id=target_id,
        dedup_key=notice.dedup_key[:255],
        event=notice.event,
        title=notice.title[:300],
        body=notice.body,
        link=notice.link,
        created_at=now,
        next_attempt_at=now,
    )


class QueueNotices:
    """The NoticeSink: one delivery per target wanting each notice, in the caller's
    transaction; a notice already queued for a target (its dedup key) is skipped."""

    def __init__(self, *, clock: Clock, wakeup: DeliveryWakeup) -> None:
        self._clock = clock
        self._wakeup = wakeup

    def __call__(self, uow: UnitOfWork, notices: Sequence[Notice]) -> None:
        now = self._clock.now()
        queued = 0
        for notice in notices:
            for target in targets_for(uow, notice):
                assert target.id is not None
                queued += uow.notice_deliveries.add(delivery_of(notice, target.id, now)) is not None
        if queued:
            self._wakeup()


@attrs.frozen
class DeliveryReport:
    sent: int = 0
    retried: int = 0  # failed this time, tried again later
    failed: int = 0  # failed for good
    deferred: int = 0  # over the target's rate limit: later
    outcomes: dict[int, str | None] = attrs.field(factory=dict)  # delivery id -> error (None: sent)

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred


def after_attempt(
    delivery: Delivery, error: str | None, now: datetime, max_attempts: int
) -> Delivery:
    """The delivery after one try: sent, retried after a backoff, or failed for good."""
    attempts = delivery.attempts + 1
    tried = attrs.evolve(delivery, attempts=attempts, last_attempt_at=now, last_error=error)
    if error is None:
        return attrs.evolve(tried, status=DeliveryStatus.SENT, sent_at=now)
    if attempts >= max_attempts:
        return attrs.evolve(tried, status=DeliveryStatus.FAILED)
    return attrs.evolve(tried, next_attempt_at=now + backoff(attempts))


def message_body(delivery: Delivery, base_url: str) -> str:
    if not delivery.link:
        return delivery.body
    return f"{delivery.body}\n{base_url.rstrip('/')}{delivery.link}"


class DeliverNotifications:
    """Claims due deliveries and sends each through the Notifier, at most `per_minute` a
    target (the rest wait); records each result on the delivery and on its target."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secret_box: SecretBox,
        notifier: Notifier,
        policy: DeliveryPolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box
        self._notifier = notifier
        self._policy = policy

    def __call__(self) -> DeliveryReport:
        p = self._policy
        now = self._clock.now()
        with self._uow(read_only=True) as uow:  # the common case, and no write lock for it
            if not uow.notice_deliveries.any_due(now):
                return DeliveryReport()
        with self._uow() as uow:
            claimed = uow.notice_deliveries.claim_due(now, now + p.lease, p.batch)
            budgets = {
                d.target_id: p.per_minute
                - uow.notice_deliveries.attempts_since(d.target_id, now - timedelta(minutes=1))
                for d in claimed
            }
            targets = {i: uow.notification_targets.get(i) for i in budgets}
            uow.commit()
        report = DeliveryReport()
        for delivery in claimed:
            target = targets[delivery.target_id]
            if target is None:
                continue  # removed meanwhile: its deliveries went with it
            budgets[delivery.target_id] -= 1
            if budgets[delivery.target_id] < 0:
                self._defer(delivery, now + timedelta(seconds=60 / p.per_minute))
                report = attrs.evolve(report, deferred=report.deferred + 1)
                continue
            report = self._send(delivery, target, report)
        return report

    def _defer(self, delivery: Delivery, until: datetime) -> None:
        with self._uow() as uow:
            uow.notice_deliveries.update(attrs.evolve(delivery, next_attempt_at=until))
            uow.commit()

    def _send(
        self, delivery: Delivery, target: NotificationTarget, report: DeliveryReport
    ) -> DeliveryReport:
        try:
            url = self._box.open(target.url_sealed)
        except DomainError:
            error: str | None = "the URL cannot be unsealed (another secret key?): add it again"
        else:
            error = self._notifier.send(
                url, delivery.title, message_body(delivery, self._policy.base_url)
            )
        error = None if error is None else clip_error(error)
        now = self._clock.now()
        done = after_attempt(delivery, error, now, self._policy.max_attempts)
        with self._uow() as uow:
            uow.notice_deliveries.update(done)
            if done.status is not DeliveryStatus.QUEUED or error is not None:
                result = DeliveryStatus.SENT if error is None else DeliveryStatus.FAILED
                uow.notification_targets.record_result(target.id or 0, result, error, now)
            uow.commit()
        assert done.id is not None
        outcomes = {**report.outcomes, done.id: error}
        if done.status is DeliveryStatus.SENT:
            return attrs.evolve(report, sent=report.sent + 1, outcomes=outcomes)
        if done.status is DeliveryStatus.FAILED:
            return attrs.evolve(report, failed=report.failed + 1, outcomes=outcomes)
        return attrs.evolve(report, retried=report.retried + 1, outcomes=outcomes)
