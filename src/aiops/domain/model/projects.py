"""Projects: a tenant's git repository that users work on."""

from __future__ import annotations

import attrs

from aiops.domain.model import validation

DEFAULT_BRANCH = "main"


def _optional_repo_url(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    return validation.repo_url(value)


def _branch(value: str) -> str:
    return validation.branch(value, field="default_branch")


@attrs.frozen
class Project:
    tenant_id: int
    slug: str = attrs.field(converter=validation.slug)
    name: str = attrs.field(converter=validation.display_name)
    repo_url: str | None = attrs.field(default=None, converter=_optional_repo_url)
    default_branch: str = attrs.field(default=DEFAULT_BRANCH, converter=_branch)
    id: int | None = None
    # The SSH identity its git remote is reached with (None: the user's own keys).
    identity_id: int | None = None
    # The https token for its git remote, sealed by the SecretBox (never the token itself);
    # kept out of repr so it never reaches a log line.
    https_token_sealed: str | None = attrs.field(default=None, repr=False)
