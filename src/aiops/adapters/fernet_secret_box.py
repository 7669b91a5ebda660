"""SecretBox on Fernet (the `cryptography` package): AES-128-CBC with an HMAC-SHA256 tag.

The Fernet key is derived from the app's secret key with HKDF-SHA256 under a fixed context
label, so the secret key itself never encrypts anything and other uses of it stay apart.
Changing the secret key makes every sealed value unreadable: they must be set again.

`cryptography` is imported when a value is first sealed or opened: most commands that are
handed a box (`aiops git status` finds a workspace through one) never use it, and the
import costs them ~10 ms (docs/adr/0002-fast-cli-start.md).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from aiops.domain.errors import SecretUnreadable

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

CONTEXT = b"aiops secret box v1"
MIN_SECRET_KEY = 32


def derive_key(secret_key: str) -> bytes:
    """The urlsafe-base64 Fernet key for `secret_key` (32+ characters)."""
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - see the docstring
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415

    _check_length(secret_key)
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _check_length(secret_key: str) -> None:
    if len(secret_key) < MIN_SECRET_KEY:
        raise ValueError(f"the secret key must be at least {MIN_SECRET_KEY} characters")


class FernetSecretBox:
    def __init__(self, secret_key: str) -> None:
        _check_length(secret_key)  # a short key is refused at once, not at first use
        self._secret_key = secret_key
        self._made: Fernet | None = None

    def __repr__(self) -> str:
        return "FernetSecretBox()"

    def _fernet(self) -> Fernet:
        if self._made is None:
            from cryptography.fernet import Fernet  # noqa: PLC0415 - see the docstring

            self._made = Fernet(derive_key(self._secret_key))
        return self._made

    def seal(self, plaintext: str) -> str:
        return self._fernet().encrypt(plaintext.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        from cryptography.fernet import InvalidToken  # noqa: PLC0415

        fernet = self._fernet()
        try:
            return fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise SecretUnreadable(
                "a stored secret cannot be read: it was altered or sealed under another "
                "secret key; set it again"
            ) from None
