"""Projects: a tenant's git repository that users work on."""

from __future__ import annotations

import enum

import attrs

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation

DEFAULT_BRANCH = "main"
CLONE_DEPTH_MAX = 1_000_000


class CloneFilter(enum.StrEnum):
    """What a new workspace's clone leaves on the server until it is needed: nothing, or
    every file's contents (`blob:none`, a partial clone: git fetches a blob when a checkout,
    diff or merge first reads it)."""

    NONE = "none"
    BLOB_NONE = "blob:none"

    @classmethod
    def parse(cls, value: str | CloneFilter) -> CloneFilter:
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(repr(member.value) for member in cls)
            raise ValidationError(
                "clone_filter", f"{str(value)[:40]!r} is not a clone filter: use {names}"
            ) from None


def clone_filter(value: str | CloneFilter) -> CloneFilter:
    return CloneFilter.parse(value)


def clone_depth(value: int) -> int:
    """How many commits of history a new workspace's clone takes (0: all of it)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= CLONE_DEPTH_MAX:
        raise ValidationError(
            "clone_depth",
            f"must be a whole number from 0 (the full history) to {CLONE_DEPTH_MAX:,}",
        )
    return value


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
    # How a new workspace is cloned: every blob (none) or a partial clone, and how deep.
    clone_filter: CloneFilter = attrs.field(default=CloneFilter.NONE, converter=clone_filter)
    clone_depth: int = attrs.field(default=0, converter=clone_depth)
    # The issue-to-PR loop (issue 19): open the pull request when the agent reports finished
    # with new commits; send a "changes requested" review back to the agent.
    auto_pull_request: bool = False
    auto_review_to_agent: bool = False
