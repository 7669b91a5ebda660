"""Which Linux account an aiops user is: decided in one place, and never shared.

AIOPS_LINUX_USER_MAPPING's entry for the user's email wins, then the user's `linux_username`,
then (AIOPS_LINUX_USER_STRATEGY=direct) their username; otherwise they have none. One Linux
account belongs to at most one aiops user: whoever controls the account controls everything of
every user mapped to it (workspaces, sessions, credentials).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiops.domain.errors import Conflict
from aiops.domain.model.users import User


class AccountTaken(Conflict):
    """The Linux account is another aiops user's already."""

    code = "account_taken"


def account_for(user: User, *, strategy: str, mapping: Mapping[str, str]) -> str | None:
    """The user's Linux account (see the module's docstring); None: they have none."""
    return (
        mapping.get(user.email.lower())
        or user.linux_username
        or (user.username if strategy == "direct" else None)
    )


def account_clash(
    user: User, others: Iterable[User], *, strategy: str, mapping: Mapping[str, str]
) -> AccountTaken | None:
    """The error to raise when the user's account is also another user's (None: it is not)."""
    account = account_for(user, strategy=strategy, mapping=mapping)
    if account is None:
        return None
    for other in others:
        same = other.id == user.id if user.id is not None else other.email == user.email
        if not same and account_for(other, strategy=strategy, mapping=mapping) == account:
            return AccountTaken(
                f"the Linux account {account!r} is already {other.email}'s: one Linux account "
                "serves one aiops user (see AIOPS_LINUX_USER_MAPPING and the users' Linux "
                "usernames)"
            )
    return None
