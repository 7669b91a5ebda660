"""The secret key and what it sealed: check that it opens the stored secrets, rotate it.

A key probe (a constant sealed under the current key) lives beside the secrets. A server that
starts with another key, or with a freshly generated one because the original went missing,
cannot open the probe and refuses to start instead of failing later, secret by secret.
"""

from __future__ import annotations

import attrs

from aiops.domain.errors import SecretKeyMismatch, SecretUnreadable
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.usecases._audit import record
from aiops.ports.clock import Clock
from aiops.ports.secret_box import SecretBox
from aiops.ports.unit_of_work import SealedSecret, UnitOfWorkFactory

PROBE = "aiops secret key probe v1"
RESTORE = (
    "restore instance/secret.key (mode 0600) or set AIOPS_SECRET_KEY to the key they were "
    "sealed with"
)
REPLACE = "set it again or remove it, then rotate the key"


@attrs.frozen
class VerifySecretKey:
    """Raises SecretKeyMismatch unless `secret_box` opens what the database holds. The first
    run on a database without a probe checks every secret, then stores the probe."""

    uow: UnitOfWorkFactory
    secret_box: SecretBox

    def __call__(self, *, key_is_new: bool = False) -> None:
        """`key_is_new`: the key was generated just now because none was configured."""
        with self.uow() as uow:
            probe = uow.sealed_secrets.probe()
            secrets = () if probe is not None else uow.sealed_secrets.all()
            if key_is_new and (probe is not None or secrets):
                raise SecretKeyMismatch(
                    "the secret key is missing: none is configured and instance/secret.key was "
                    f"not there, but the database holds sealed secrets; {RESTORE}"
                )
            if probe is not None:
                _check_probe(self.secret_box, probe)
                return
            for secret in secrets:
                _open(self.secret_box, secret, RESTORE)
            uow.sealed_secrets.set_probe(self.secret_box.seal(PROBE))
            uow.commit()


@attrs.frozen
class RotateSecretKey:
    """Re-seal every stored secret under a new key, in one transaction: all or nothing."""

    uow: UnitOfWorkFactory
    clock: Clock

    def __call__(self, current: SecretBox, new: SecretBox, actor: Actor = SYSTEM) -> int:
        """How many secrets were re-sealed."""
        with self.uow() as uow:
            probe = uow.sealed_secrets.probe()
            if probe is not None:
                _check_probe(current, probe)
            secrets = uow.sealed_secrets.all()
            for secret in secrets:
                uow.sealed_secrets.replace(secret, new.seal(_open(current, secret, REPLACE)))
            uow.sealed_secrets.set_probe(new.seal(PROBE))
            record(
                uow,
                self.clock,
                actor=actor.name,
                action="secrets.rotated",
                target="secret key",
                count=len(secrets),
            )
            uow.commit()
        return len(secrets)


def _check_probe(box: SecretBox, probe: str) -> None:
    try:
        box.open(probe)
    except SecretUnreadable:
        raise SecretKeyMismatch(
            "the secret key does not open the secrets stored in the database (it is not the key "
            f"they were sealed with); {RESTORE}"
        ) from None


def _open(box: SecretBox, secret: SealedSecret, advice: str) -> str:
    try:
        return box.open(secret.sealed)
    except SecretUnreadable:
        raise SecretKeyMismatch(
            f"the {secret} cannot be opened with the current secret key; {advice}"
        ) from None
