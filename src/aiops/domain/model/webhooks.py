"""Tracker webhooks: how each provider signs a delivery, and how a delivery is named.

Pure functions, compared in constant time (hmac.compare_digest). Header names are lower case,
as ASGI servers hand them over.

- GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body under the secret.
- GitLab: `X-Gitlab-Token: <secret>`, the secret itself.
- Jira Cloud (a webhook with a secret): `X-Hub-Signature: sha256=<hex>`, HMAC-SHA256 of the
  raw body under the secret.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping

import attrs

from aiops.domain.errors import AuthenticationFailed
from aiops.domain.model.trackers import Provider

_SHA256_HEX = re.compile(r"sha256=([0-9a-fA-F]{64})")
DELIVERY_ID_MAX = 100  # longer ids (or none at all) are replaced by a digest of the body


def _hmac_sha256_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    match = _SHA256_HEX.fullmatch(header.strip()) if header else None
    if match is None:
        return False
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


def github_signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256` is "sha256=" + HMAC-SHA256(secret, body) in hex."""
    return _hmac_sha256_valid(secret, body, header)


def gitlab_token_valid(secret: bytes, header: str | None) -> bool:
    """`X-Gitlab-Token` is the secret itself."""
    if not header or not secret:
        return False
    return hmac.compare_digest(secret, header.encode("utf-8", "replace"))


def jira_signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature` is "sha256=" + HMAC-SHA256(secret, body) in hex (Jira Cloud)."""
    return _hmac_sha256_valid(secret, body, header)


Verifier = Callable[[bytes, bytes, str | None], bool]


@attrs.frozen(kw_only=True)
class WebhookScheme:
    signature_header: str
    delivery_header: str
    verify: Verifier

    @property
    def headers(self) -> tuple[str, str]:
        """The only headers a delivery's handling reads."""
        return (self.signature_header, self.delivery_header)


SCHEMES: Mapping[Provider, WebhookScheme] = {
    Provider.GITHUB: WebhookScheme(
        signature_header="x-hub-signature-256",
        delivery_header="x-github-delivery",
        verify=github_signature_valid,
    ),
    Provider.GITLAB: WebhookScheme(
        signature_header="x-gitlab-token",
        delivery_header="x-gitlab-webhook-uuid",
        verify=lambda secret, _body, header: gitlab_token_valid(secret, header),
    ),
    Provider.JIRA: WebhookScheme(
        signature_header="x-hub-signature",
        delivery_header="x-atlassian-webhook-identifier",
        verify=jira_signature_valid,
    ),
}


def body_digest(body: bytes) -> str:
    """The SHA-256 of a delivery's raw (signed) body, in hex."""
    return hashlib.sha256(body).hexdigest()


def delivery_id(header: str | None, body: bytes) -> str:
    """The tracker's id for a delivery (redelivered with the same id), or, when it sends none
    usable, a digest of the body: the same payload twice is the same delivery."""
    value = (header or "").strip()
    if 0 < len(value) <= DELIVERY_ID_MAX and value.isprintable():
        return value
    return "sha256:" + body_digest(body)


class WebhookOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # new: a sync of the connection follows
    DUPLICATE = "duplicate"  # seen before: nothing to do


class WebhookRejected(AuthenticationFailed):
    """One answer for every refusal, so a caller cannot tell an unknown connection from a
    wrong signature; `reason` is for the server's log only."""

    code = "unauthenticated"

    def __init__(self, reason: str) -> None:
        super().__init__("the webhook signature is missing or wrong")
        self.reason = reason
