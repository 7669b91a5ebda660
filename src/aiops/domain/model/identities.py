"""SSH identities: a named OpenSSH public key (and, for seeded keys, the private key's path)
that projects use to reach their git remotes.

Public keys are validated and fingerprinted here in pure Python, as `ssh-keygen -lf` does:
SHA256 of the decoded key blob, base64 without padding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime

import attrs

from aiops.domain.errors import DomainError, ValidationError

KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
PUBLIC_KEY_MAX = 16 * 1024
NAME_MAX = 63
NAME_PATTERN = r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?"  # the JSON API publishes it too
_NAME = re.compile(NAME_PATTERN)
_PRIVATE_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File")


class KeyRefused(DomainError):
    """A key file cannot be imported (a symlink, too open, not a private key, ...)."""

    code = "key_refused"


def identity_name(value: str, *, field: str = "name") -> str:
    """Lowercase letters, digits, '.', '_' and '-' (key files are often 'id_ed25519')."""
    if len(value) > NAME_MAX or not _NAME.fullmatch(value) or ".." in value:
        raise ValidationError(
            field,
            f"{value[:80]!r} is not a valid identity name: use 1-{NAME_MAX} lowercase letters, "
            "digits, '.', '_' or '-', starting and ending with a letter or digit (e.g. 'deploy')",
        )
    return value


@attrs.frozen
class ParsedKey:
    key_type: str
    blob: bytes = attrs.field(repr=False)
    comment: str = ""

    @property
    def line(self) -> str:
        """The normalised one-line form: 'type base64 [comment]'."""
        encoded = base64.b64encode(self.blob).decode("ascii")
        return f"{self.key_type} {encoded} {self.comment}".rstrip()

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def parse_public_key(value: str, *, field: str = "public_key") -> ParsedKey:
    """The key of an OpenSSH public key line, or ValidationError saying what is wrong."""
    if len(value) > PUBLIC_KEY_MAX:
        raise ValidationError(field, "is too long: an OpenSSH public key is at most 16 KiB")
    text = value.strip()
    if not text:
        raise ValidationError(field, "must not be blank: paste the contents of a .pub file")
    if any(marker in text for marker in _PRIVATE_MARKERS):
        raise ValidationError(field, "this looks like a private key: paste the .pub file")
    if "\n" in text or "\r" in text:
        raise ValidationError(field, "must be one line: 'type base64 [comment]'")
    if any(not (ch == " " or ch.isprintable()) for ch in text):
        raise ValidationError(field, "must not contain control characters")
    key_type, _, rest = text.partition(" ")
    encoded, _, comment = rest.strip().partition(" ")
    if key_type not in KEY_TYPES:
        raise ValidationError(
            field, f"key type {key_type[:40]!r} is not accepted: use one of {', '.join(KEY_TYPES)}"
        )
    blob = _decode(encoded, field)
    if _blob_type(blob) != key_type.encode("ascii"):
        raise ValidationError(field, f"the key data is not a {key_type} key")
    return ParsedKey(key_type=key_type, blob=blob, comment=" ".join(comment.split()))


def public_key(value: str, *, field: str = "public_key") -> str:
    """The normalised public key line ('type base64 [comment]')."""
    return parse_public_key(value, field=field).line


def fingerprint(value: str) -> str:
    """'SHA256:...' of a public key line, as `ssh-keygen -lf` prints it."""
    return parse_public_key(value).fingerprint


def _decode(encoded: str, field: str) -> bytes:
    if not encoded:
        raise ValidationError(field, "has no key data after the key type")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, "the key data is not valid base64") from None


def _blob_type(blob: bytes) -> bytes | None:
    """The length-prefixed type string a key blob starts with (None if it has no key after it)."""
    if len(blob) < 4:
        return None
    length = int.from_bytes(blob[:4], "big")
    if len(blob) <= 4 + length:
        return None
    return blob[4 : 4 + length]


@attrs.frozen
class SshIdentity:
    name: str = attrs.field(converter=identity_name)
    public_key: str = attrs.field(converter=public_key)
    created_at: datetime
    fingerprint: str = attrs.field(init=False)
    # Set only for keys imported by seed-identities: where the private key lives (mode 0600).
    private_key_path: str | None = None
    owner_id: int | None = None
    id: int | None = None

    @fingerprint.default
    def _fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def has_private_key(self) -> bool:
        return self.private_key_path is not None
