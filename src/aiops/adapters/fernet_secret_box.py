"""SecretBox on Fernet (the `cryptography` package): AES-128-CBC with an HMAC-SHA256 tag.

The Fernet key is derived from the app's secret key with HKDF-SHA256 under a fixed context
label, so the secret key itself never encrypts anything and other uses of it stay apart.
Changing the secret key makes every sealed value unreadable: they must be set again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from aiops.domain.errors import SecretUnreadable

CONTEXT = b"aiops secret box v1"
MIN_SECRET_KEY = 32


def derive_key(secret_key: str) -> bytes:
    """The urlsafe-base64 Fernet key for `secret_key` (32+ characters)."""
    if len(secret_key) < MIN_SECRET_KEY:
        raise ValueError(f"the secret key must be at least {MIN_SECRET_KEY} characters")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


class FernetSecretBox:
    def __init__(self, secret_key: str) -> None:
        self._fernet = Fernet(derive_key(secret_key))

    def __repr__(self) -> str:
        return "FernetSecretBox()"

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise SecretUnreadable(
                "a stored secret cannot be read: it was altered or sealed under another "
                "secret key; set it again"
            ) from None
