"""HmacSessionTokens: a session's token is HMAC-SHA256 over (session id, Linux account) under
a key derived from the instance's secret key (HKDF under its own label, as the secret box's
key is: neither key says anything about the other).

Nothing is stored: the server recomputes the token of the session an event names and compares
in constant time. A token is worthless for another session or another account; it changes
when the secret key does (sessions launched before a rotation fall back to the pane).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CONTEXT = b"aiops session tokens v1"
MIN_SECRET_KEY = 32


def derive_key(secret_key: str) -> bytes:
    if len(secret_key) < MIN_SECRET_KEY:
        raise ValueError(f"the secret key must be at least {MIN_SECRET_KEY} characters")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(
        secret_key.encode()
    )


class HmacSessionTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = derive_key(secret_key)

    def __repr__(self) -> str:
        return "HmacSessionTokens(<key>)"

    def issue(self, session_id: int, account: str) -> str:
        # The account name holds no NUL (POSIX), so the message cannot be read two ways.
        message = f"{session_id}\0{account}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def valid(self, session_id: int, account: str, token: str) -> bool:
        expected = self.issue(session_id, account)
        return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
