"""A project's tracker connections: add (token sealed), list, replace secrets, test, remove."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import attrs

from aiops.domain.errors import NotFound, ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor, Permission
from aiops.domain.model.projects import Project
from aiops.domain.model.tenants import Tenant
from aiops.domain.model.trackers import Provider, SyncRun, TrackerConnection, TrackerError
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_project
from aiops.domain.usecases.projects import require_managed_project
from aiops.ports.clock import Clock
from aiops.ports.issue_tracker import IssueTracker, TrackerTarget
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

_KEYS = {
    Provider.GITHUB: (re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}"), "owner/repo"),
    Provider.GITLAB: (
        re.compile(r"[0-9]{1,12}|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){1,20}"),
        "a project id or group/project path",
    ),
    Provider.JIRA: (re.compile(r"[A-Z][A-Z0-9_]{0,31}"), "a project key such as OPS"),
}


def tracker_key(provider: Provider, value: str) -> str:
    pattern, shape = _KEYS[provider]
    if not pattern.fullmatch(value) or ".." in value:
        raise ValidationError("key", f"{value[:80]!r} is not a {provider.value} key: use {shape}")
    return value


def base_url(value: str) -> str:
    """An http(s) URL without credentials, query or fragment (the adapters check where it
    resolves to before every request)."""
    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
        or len(value) > 2048
    ):
        raise ValidationError(
            "base_url", f"{value[:80]!r} is not an http(s) URL such as https://api.github.com"
        )
    return value.strip().rstrip("/")


@attrs.frozen(kw_only=True)
class AddTrackerCommand:
    project_id: int
    provider: str
    base_url: str
    key: str
    token: str = attrs.field(repr=False)
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    actor: Actor = SYSTEM


def require_connection(
    uow: UnitOfWork, connection_id: int, actor: Actor, permission: Permission
) -> tuple[TrackerConnection, Tenant]:
    missing = f"tracker connection {connection_id} does not exist"
    connection = uow.trackers.get(connection_id)
    if connection is None:
        raise NotFound(missing)
    try:
        _project, tenant = require_project(uow, connection.project_id, actor)
    except NotFound:
        raise NotFound(missing) from None
    actor.require(permission, tenant, missing)
    return connection, tenant


class AddTracker:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, secret_box: SecretBox) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box

    def __call__(self, cmd: AddTrackerCommand) -> TrackerConnection:
        connection = self._connection(cmd)
        with self._uow() as uow:
            project, tenant = require_managed_project(uow, cmd.project_id, cmd.actor)
            connection = uow.trackers.add(connection)
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="tracker.added",
                target=f"tracker:{connection.id}",
                tenant=tenant.slug,
                project=project.slug,
                provider=connection.provider.value,
                base_url=connection.base_url,
                key=connection.key,
            )
            uow.commit()
        return connection

    def _connection(self, cmd: AddTrackerCommand) -> TrackerConnection:
        """The command's connection, checked, its token and webhook secret sealed."""
        provider = Provider.parse(cmd.provider)
        token = validation.https_token(cmd.token, field="token")
        secret = cmd.webhook_secret
        return TrackerConnection(
            project_id=cmd.project_id,
            provider=provider,
            base_url=base_url(cmd.base_url),
            key=tracker_key(provider, cmd.key),
            token_sealed=self._box.seal(token),
            token_saved_at=self._clock.now(),
            webhook_secret_sealed=None
            if secret is None
            else self._box.seal(validation.https_token(secret, field="webhook_secret")),
        )


class ListTrackers:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, actor: Actor, project_id: int | None = None) -> Sequence[TrackerConnection]:
        with self._uow(read_only=True) as uow:
            if project_id is not None:
                require_project(uow, project_id, actor)
            visible = uow.projects.tenant_ids()
            return [
                c
                for c in uow.trackers.list(project_id)
                if actor.may(Permission.VIEW, visible[c.project_id])
            ]


@attrs.frozen(kw_only=True)
class ManagedTracker:
    """A connection as its admin page shows it: where it belongs and how its last sync went."""

    connection: TrackerConnection
    project: Project
    tenant: Tenant
    last_run: SyncRun | None


class ListManagedTrackers:
    """The connections the actor may manage (an admin: all; an owner: their tenants')."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, actor: Actor, project_id: int | None = None) -> Sequence[ManagedTracker]:
        with self._uow(read_only=True) as uow:
            tenants = {t.id: t for t in uow.tenants.list()}
            projects = {p.id: p for p in uow.projects.list()}
            return [
                ManagedTracker(
                    connection=c,
                    project=projects[c.project_id],
                    tenant=tenants[projects[c.project_id].tenant_id],
                    last_run=_last_run(uow, c),
                )
                for c in uow.trackers.list(project_id)
                if actor.may(Permission.MANAGE, projects[c.project_id].tenant_id)
            ]


def _last_run(uow: UnitOfWork, connection: TrackerConnection) -> SyncRun | None:
    assert connection.id is not None
    runs = uow.sync_runs.list(connection.id, limit=1)
    return runs[0] if runs else None


@attrs.frozen(kw_only=True)
class ReplaceTrackerSecretsCommand:
    """A new token and/or webhook secret; None leaves each as it is."""

    connection_id: int
    token: str | None = attrs.field(default=None, repr=False)
    webhook_secret: str | None = attrs.field(default=None, repr=False)
    clear_webhook_secret: bool = False
    actor: Actor = SYSTEM


class ReplaceTrackerSecrets:
    """Reseal a connection's token or webhook secret; the audit says what changed, never to what."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, secret_box: SecretBox) -> None:
        self._uow = uow
        self._clock = clock
        self._box = secret_box

    def __call__(self, cmd: ReplaceTrackerSecretsCommand) -> TrackerConnection:
        changes = secret_changes(cmd)
        with self._uow() as uow:
            connection, tenant = require_connection(
                uow, cmd.connection_id, cmd.actor, Permission.MANAGE
            )
            connection = uow.trackers.update(self._resealed(connection, cmd))
            record(
                uow,
                self._clock,
                actor=cmd.actor.name,
                action="tracker.secrets_replaced",
                target=f"tracker:{cmd.connection_id}",
                tenant=tenant.slug,
                **changes,
            )
            uow.commit()
        return connection

    def _resealed(
        self, connection: TrackerConnection, cmd: ReplaceTrackerSecretsCommand
    ) -> TrackerConnection:
        if cmd.token is not None:
            connection = attrs.evolve(
                connection, token_sealed=self._box.seal(cmd.token), token_saved_at=self._clock.now()
            )
        if cmd.clear_webhook_secret:
            connection = attrs.evolve(connection, webhook_secret_sealed=None)
        elif cmd.webhook_secret is not None:
            connection = attrs.evolve(
                connection, webhook_secret_sealed=self._box.seal(cmd.webhook_secret)
            )
        return connection


def secret_changes(cmd: ReplaceTrackerSecretsCommand) -> dict[str, str]:
    """What the command changes ("set" / "cleared" by secret), after checking the new values;
    a command that changes nothing is refused."""
    if cmd.clear_webhook_secret and cmd.webhook_secret is not None:
        raise ValidationError("webhook_secret", "either give a new webhook secret or clear it")
    changes = {
        "token": _checked(cmd.token, "token"),
        "webhook_secret": "cleared"
        if cmd.clear_webhook_secret
        else _checked(cmd.webhook_secret, "webhook_secret"),
    }
    made = {name: change for name, change in changes.items() if change is not None}
    if not made:
        raise ValidationError("token", "give a new token or webhook secret (nothing was changed)")
    return made


def _checked(secret: str | None, field: str) -> str | None:
    """ "set" for a valid new secret, None for no new one."""
    if secret is None:
        return None
    validation.https_token(secret, field=field)
    return "set"


class RemoveTracker:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, connection_id: int, actor: Actor = SYSTEM) -> None:
        with self._uow() as uow:
            connection, tenant = require_connection(uow, connection_id, actor, Permission.MANAGE)
            uow.trackers.remove(connection_id)
            record(
                uow,
                self._clock,
                actor=actor.name,
                action="tracker.removed",
                target=f"tracker:{connection_id}",
                tenant=tenant.slug,
                provider=connection.provider.value,
                key=connection.key,
            )
            uow.commit()


class TestTracker:
    """ "Test connection": one cheap authenticated request to the tracker."""

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        secret_box: SecretBox,
        trackers: Mapping[Provider, IssueTracker],
    ) -> None:
        self._uow = uow
        self._box = secret_box
        self._trackers = trackers

    def __call__(self, connection_id: int, actor: Actor = SYSTEM) -> str:
        with self._uow(read_only=True) as uow:
            connection, _tenant = require_connection(uow, connection_id, actor, Permission.USE)
        return adapter_for(self._trackers, connection).check(target(connection, self._box))


def adapter_for(
    trackers: Mapping[Provider, IssueTracker], connection: TrackerConnection
) -> IssueTracker:
    adapter = trackers.get(connection.provider)
    if adapter is None:
        raise TrackerError(f"aiops cannot talk to {connection.provider.value} trackers yet")
    return adapter


def target(connection: TrackerConnection, box: SecretBox) -> TrackerTarget:
    return TrackerTarget(
        base_url=connection.base_url, key=connection.key, token=box.open(connection.token_sealed)
    )
