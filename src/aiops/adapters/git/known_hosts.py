"""Which lines of an account's copy of known_hosts may go back into the service's file.

ssh runs as the account with a copy of `<instance>/known_hosts`, which the account may edit
while it runs. With AIOPS_SSH_ACCEPT_NEW_HOST_KEYS, ssh adds the key of a host it meets for
the first time; only such a line comes back: a plain key line (no @revoked or
@cert-authority marker) naming the host this transfer reached, when the service's file knows
no key of that host yet. A key the service knows is never replaced,
and nothing else the account wrote is taken.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def _names(line: str, host: str) -> bool:
    """Whether a known_hosts line is about `host` (plain or hashed, markers skipped)."""
    fields = line.split()
    if fields and fields[0].startswith("@"):
        fields = fields[1:]
    if len(fields) < 3:
        return False
    patterns = fields[0]
    if patterns.startswith("|1|"):
        try:
            salt, digest = (base64.b64decode(part) for part in patterns[3:].split("|", 1))
        except (ValueError, binascii.Error):
            return False
        mine = hmac.new(salt, host.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(mine, digest)
    return host in patterns.split(",")


def learned(known: str, copy: str, host: str) -> list[str]:
    """The lines of `copy` to append to `known` (the service's file) for `host`."""
    if any(_names(line, host) for line in known.splitlines()):
        return []
    return [line for line in copy.splitlines() if not line.startswith("@") and _names(line, host)]
