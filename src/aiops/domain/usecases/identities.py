"""Add, list and seed SSH identities.

Who may: only a global admin adds or seeds identities (they open every remote the key opens).
Admins and tenant owners may list them, since owners pick the identity of their projects;
members and viewers may not (PermissionDenied). Identities are global: any owner may pick any.
Audit events name an identity and its fingerprint, never key material.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path

import attrs

from aiops.domain.errors import Conflict, PermissionDenied, ValidationError
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.identities import KeyRefused, SshIdentity, fingerprint, identity_name
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import require_user
from aiops.ports.clock import Clock
from aiops.ports.key_store import KeyStore
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory


def require_identity(
    uow: UnitOfWork, identity_id: int | None, actor: Actor, current: int | None = None
) -> None:
    """For projects: an identity id must name an identity (None means none). Identities are
    shared by every tenant, so only a global admin may give a project one: a tenant owner
    could otherwise borrow another tenant's deploy key. Anyone who manages the project may
    keep or remove the identity it has."""
    if identity_id is None or identity_id == current:
        return
    if not actor.is_admin:
        raise PermissionDenied("only a global admin may give a project an SSH identity")
    if uow.identities.get(identity_id) is None:
        raise Conflict(f"identity {identity_id} does not exist: see `aiops identity list`")


@attrs.frozen(kw_only=True)
class AddIdentityCommand:
    name: str
    public_key: str
    actor: Actor = SYSTEM


@attrs.frozen
class ListedIdentity:
    identity: SshIdentity
    owner_email: str | None


class AddIdentity:
    """Add a named public key (no private key: the users' agents or keys hold it)."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, cmd: AddIdentityCommand) -> SshIdentity:
        cmd.actor.require_admin()
        identity = SshIdentity(
            name=cmd.name,
            public_key=cmd.public_key,
            created_at=self._clock.now(),
            owner_id=cmd.actor.user_id,
        )
        with self._uow() as uow:
            if uow.identities.get_by_name(identity.name) is not None:
                raise Conflict(f"identity {identity.name!r} already exists")
            identity = uow.identities.add(identity)
            _record(uow, self._clock, cmd.actor, "identity.added", identity)
            uow.commit()
        return identity


class ListIdentities:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, actor: Actor = SYSTEM) -> Sequence[ListedIdentity]:
        if not actor.manages_some_tenant:
            raise PermissionDenied("only admins and tenant owners may list SSH identities")
        with self._uow(read_only=True) as uow:
            users = {user.id: user.email for user in uow.users.list()}
            return [
                ListedIdentity(identity, users.get(identity.owner_id))
                for identity in uow.identities.list()
            ]


class SeedOutcome(enum.StrEnum):
    IMPORTED = "imported"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@attrs.frozen
class SeedLine:
    file: str
    outcome: SeedOutcome
    detail: str  # the fingerprint, or why the file was refused


@attrs.frozen(kw_only=True)
class SeedIdentitiesCommand:
    owner_email: str
    source_dir: Path
    actor: Actor = SYSTEM


@attrs.frozen
class SeedIdentitiesResult:
    lines: tuple[SeedLine, ...]

    @property
    def refused(self) -> bool:
        return any(line.outcome is SeedOutcome.REFUSED for line in self.lines)


class SeedIdentities:
    """Import the private keys of a folder, each under its file's name, owned by one user.
    Each file is its own transaction: a bad file is reported and the good ones still import.
    Running it again reports the same keys as unchanged; another key under a taken name is
    refused as a conflict."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, keys: KeyStore) -> None:
        self._uow = uow
        self._clock = clock
        self._keys = keys

    def __call__(self, cmd: SeedIdentitiesCommand) -> SeedIdentitiesResult:
        cmd.actor.require_admin()
        with self._uow(read_only=True) as uow:
            owner_id = require_user(uow, cmd.owner_email).id
        lines = []
        for source in self._keys.private_keys_in(cmd.source_dir):
            try:
                with self._uow() as uow:
                    lines.append(self._seed_one(uow, source, owner_id, cmd.actor))
            except (KeyRefused, ValidationError, Conflict) as error:
                lines.append(SeedLine(source.name, SeedOutcome.REFUSED, error.message))
        return SeedIdentitiesResult(tuple(lines))

    def _seed_one(
        self, uow: UnitOfWork, source: Path, owner_id: int | None, actor: Actor
    ) -> SeedLine:
        name = identity_name(source.stem, field="file name")
        existing = uow.identities.get_by_name(name)
        if existing is not None:
            same_key(existing, fingerprint(self._keys.public_key_of(source)))
            if existing.has_private_key:
                return SeedLine(source.name, SeedOutcome.UNCHANGED, existing.fingerprint)
        imported = self._keys.import_private_key(name, source)
        identity = seeded(
            existing,
            SshIdentity(
                name=name,
                public_key=imported.public_key,
                created_at=self._clock.now(),
                private_key_path=str(imported.path),
                owner_id=owner_id,
            ),
            source.name,
        )
        identity = (
            uow.identities.add(identity) if existing is None else uow.identities.update(identity)
        )
        _record(uow, self._clock, actor, "identity.imported", identity)
        uow.commit()
        return SeedLine(source.name, SeedOutcome.IMPORTED, identity.fingerprint)


def same_key(existing: SshIdentity, found: str) -> None:
    """A key file may complete the identity of its name only with the same key."""
    if found != existing.fingerprint:
        raise Conflict(
            f"identity {existing.name!r} exists with another key ({existing.fingerprint})"
        )


def seeded(existing: SshIdentity | None, imported: SshIdentity, file: str) -> SshIdentity:
    """What to store for a key file just imported: a new identity when its name is free, else
    the existing one with the private key; a Conflict when the file's key changed between
    the check (same_key) and the import."""
    if existing is None:
        return imported
    if imported.fingerprint != existing.fingerprint:
        raise Conflict(f"{file} changed while it was being imported: run it again")
    return attrs.evolve(existing, private_key_path=imported.private_key_path)


def _record(
    uow: UnitOfWork, clock: Clock, actor: Actor, action: str, identity: SshIdentity
) -> None:
    record(
        uow,
        clock,
        actor=actor.name,
        action=action,
        target=f"identity:{identity.name}",
        name=identity.name,
        fingerprint=identity.fingerprint,
    )
