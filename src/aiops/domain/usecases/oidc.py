"""Sign-in through an OpenID Connect provider (issue 20), once the adapter has verified the ID
token: find (or make) the aiops account, re-apply the provider's groups as roles, record it.

The account is found by the provider's `sub`; on the first sign-in by a verified email only
(an unverified one could be anybody's). Roles and the global admin right given by the
provider's groups are re-applied at every sign-in: added, changed and taken back. Those given
by hand are never touched (plan_roles, plan_admin: pure, property-tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.oidc import GroupGrant, OidcClaims, SignInRefused
from aiops.domain.model.sign_ins import UserIdentity
from aiops.domain.model.tenants import Membership, Role
from aiops.domain.model.users import GrantSource, User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases._audit import record
from aiops.domain.usecases._lookups import actor_for
from aiops.domain.usecases.auth import SignedIn
from aiops.domain.usecases.users import CreateUserCommand, new_user
from aiops.ports.clock import Clock
from aiops.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.OWNER: 2}
SUBJECT_MAX = 255
EMAIL_MAX = 254
OIDC = GrantSource.OIDC


@attrs.frozen(kw_only=True)
class OidcPolicy:
    """What the settings say about provider sign-ins (AIOPS_OIDC_AUTO_CREATE,
    AIOPS_OIDC_GROUP_ROLES, AIOPS_OIDC_REQUIRED_GROUPS)."""

    auto_create: bool = False
    grants: tuple[GroupGrant, ...] = ()
    required_groups: frozenset[str] = frozenset()

    def admits(self, groups: Sequence[str]) -> bool:
        return not self.required_groups or not self.required_groups.isdisjoint(groups)

    def admin_for(self, groups: Sequence[str]) -> bool:
        return any(grant.admin and grant.group in groups for grant in self.grants)

    def roles_for(self, groups: Sequence[str]) -> dict[str, Role]:
        """Tenant slug -> role the groups give: the highest when two groups name one tenant."""
        roles: dict[str, Role] = {}
        for grant in self.grants:
            if grant.group not in groups or grant.tenant is None or grant.role is None:
                continue
            held = roles.get(grant.tenant)
            if held is None or RANK[grant.role] > RANK[held]:
                roles[grant.tenant] = grant.role
        return roles


@attrs.frozen
class RoleChange:
    """One membership sign-in changes: added (no previous), changed, or removed (no role)."""

    tenant_id: int
    role: Role | None
    previous: Role | None


def plan_roles(wanted: Mapping[int, Role], current: Sequence[Membership]) -> list[RoleChange]:
    """What makes the user's provider-given memberships those `wanted` (tenant id -> role):
    a membership made by hand is never changed or removed, nor replaced by a grant."""
    held = {membership.tenant_id: membership for membership in current}
    changes = []
    for tenant_id, role in sorted(wanted.items()):
        membership = held.get(tenant_id)
        if membership is None:
            changes.append(RoleChange(tenant_id, role, None))
        elif membership.source is OIDC and membership.role is not role:
            changes.append(RoleChange(tenant_id, role, membership.role))
    for membership in current:
        if membership.source is OIDC and membership.tenant_id not in wanted:
            changes.append(RoleChange(membership.tenant_id, None, membership.role))
    return changes


def plan_admin(user: User, granted: bool) -> User | None:
    """The user with the admin right the groups give or take back, or None for no change: a
    right given by hand (or from before issue 20) is never taken back."""
    if granted and not user.is_admin:
        return attrs.evolve(user, is_admin=True, admin_source=OIDC)
    if not granted and user.is_admin and user.admin_source is OIDC:
        return attrs.evolve(user, is_admin=False, admin_source=None)
    return None


@attrs.frozen(kw_only=True)
class OidcSignInCommand:
    claims: OidcClaims
    address: str


class SignInWithOidc:
    """A person the provider vouched for (verified claims) signs in: refused unless in a
    required group, their account found (or made), their provider-given roles re-applied, the
    identity's last sign-in and the sign-in itself recorded, in one transaction."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: OidcPolicy,
        workspaces: WorkspacePolicy,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._workspaces = workspaces

    def __call__(self, cmd: OidcSignInCommand) -> SignedIn:
        claims = cmd.claims
        if not 0 < len(claims.subject) <= SUBJECT_MAX:  # OpenID Connect Core 1.0, 5.1
            raise SignInRefused(f"{claims.provider} gave a subject that is not 1-255 characters")
        if not self._policy.admits(claims.groups):
            shown = (claims.email or claims.subject)[:80]
            raise SignInRefused(f"{shown} is not in a group allowed to sign in: ask an admin")
        with self._uow() as uow:
            user, identity = self._account(uow, claims)
            user = self._apply_groups(uow, user, claims)
            now = self._clock.now()
            seen = claims.email[:EMAIL_MAX] if claims.email else None
            uow.user_identities.update(attrs.evolve(identity, email=seen, last_sign_in_at=now))
            record(
                uow,
                self._clock,
                actor=user.email,
                action="user.signed_in",
                target=f"user:{user.email}",
                address=cmd.address,
                provider=claims.provider,
            )
            uow.commit()
            return SignedIn(actor_for(uow, user), user.session_generation)

    def _account(self, uow: UnitOfWork, claims: OidcClaims) -> tuple[User, UserIdentity]:
        identity = uow.user_identities.get_by_subject(claims.provider, claims.subject)
        user = uow.users.get(identity.user_id) if identity is not None else None
        if identity is not None and user is not None:
            return self._follow_email(uow, user, claims), identity
        email = _verified_email(claims)
        user = uow.users.get_by_email(email) or self._create(uow, claims, email)
        assert user.id is not None
        identity = uow.user_identities.add(
            UserIdentity(
                user_id=user.id,
                provider=claims.provider,
                subject=claims.subject,
                email=email,
                created_at=self._clock.now(),
            )
        )
        record(
            uow,
            self._clock,
            actor=f"oidc:{claims.provider}",
            action="user.identity_linked",
            target=f"user:{user.email}",
            provider=claims.provider,
        )
        return user, identity

    def _create(self, uow: UnitOfWork, claims: OidcClaims, email: str) -> User:
        if not self._policy.auto_create:
            raise SignInRefused(f"no aiops account for {email}: ask an admin to add you")
        command = CreateUserCommand(
            email=email, name=_display_name(claims, email), username=free_username(uow, email)
        )
        user = new_user(uow, command, self._workspaces)
        record(
            uow,
            self._clock,
            actor=f"oidc:{claims.provider}",
            action="user.created",
            target=f"user:{user.email}",
            username=user.username,
            is_admin=False,
            linux_account=self._workspaces.account_for(user),
        )
        return user

    def _follow_email(self, uow: UnitOfWork, user: User, claims: OidcClaims) -> User:
        """The user's email as the provider (verified) says it is now, unless another user has
        it or it would give them another user's Linux account (AIOPS_LINUX_USER_MAPPING): then
        it stays, and the audit trail says why."""
        email = _verified_email_or_none(claims)
        if email is None or email == user.email:
            return user
        changed = attrs.evolve(user, email=email)
        clash = self._workspaces.account_clash(changed, uow.users.list())
        if uow.users.get_by_email(email) is not None:
            action, reason = "user.email_change_refused", "another user has it"
        elif clash is not None:
            action, reason = "user.email_change_refused", clash.message
        else:
            action, reason = "user.email_changed", "from the provider"
            user = uow.users.update(changed)
        record(
            uow,
            self._clock,
            actor=f"oidc:{claims.provider}",
            action=action,
            target=f"user:{user.email}",
            email=email,
            reason=reason,
            linux_account=self._workspaces.account_for(user),
        )
        return user

    def _apply_groups(self, uow: UnitOfWork, user: User, claims: OidcClaims) -> User:
        assert user.id is not None
        actor = f"oidc:{claims.provider}"
        slugs = self._policy.roles_for(claims.groups)
        tenants = {slug: uow.tenants.get_by_slug(slug) for slug in slugs}
        wanted = {t.id: slugs[slug] for slug, t in tenants.items() if t and t.id is not None}
        for change in plan_roles(wanted, uow.memberships.list_for_user(user.id)):
            _apply_role(uow, user.id, change)
            tenant = uow.tenants.get(change.tenant_id)
            record(
                uow,
                self._clock,
                actor=actor,
                action=_ROLE_ACTIONS[(change.previous is None, change.role is None)],
                target=f"user:{user.email}",
                tenant=tenant.slug if tenant else None,
                role=change.role.value if change.role else None,
                previous_role=change.previous.value if change.previous else None,
                source=OIDC.value,
            )
        unknown = sorted(slug for slug, tenant in tenants.items() if tenant is None)
        if unknown:
            record(
                uow,
                self._clock,
                actor=actor,
                action="user.group_grant_skipped",
                target=f"user:{user.email}",
                tenants=",".join(unknown),
                reason="no such tenant",
            )
        return self._apply_admin(uow, user, self._policy.admin_for(claims.groups), actor)

    def _apply_admin(self, uow: UnitOfWork, user: User, granted: bool, actor: str) -> User:
        changed = plan_admin(user, granted)
        if changed is None:
            return user
        user = uow.users.update(changed)
        record(
            uow,
            self._clock,
            actor=actor,
            action="user.admin_granted" if user.is_admin else "user.admin_revoked",
            target=f"user:{user.email}",
            source=OIDC.value,
        )
        return user


_ROLE_ACTIONS = {
    (True, False): "membership.added",
    (False, False): "membership.role_changed",
    (False, True): "membership.removed",
}


def _apply_role(uow: UnitOfWork, user_id: int, change: RoleChange) -> None:
    if change.role is None:
        uow.memberships.remove(user_id, change.tenant_id)
        return
    membership = Membership(
        user_id=user_id, tenant_id=change.tenant_id, role=change.role, source=OIDC
    )
    if change.previous is None:
        uow.memberships.add(membership)
    else:
        uow.memberships.update(membership)


def _verified_email_or_none(claims: OidcClaims) -> str | None:
    if not (claims.email and claims.email_verified):
        return None
    try:
        return validation.email(claims.email)
    except ValidationError:
        return None


def _verified_email(claims: OidcClaims) -> str:
    """The claims' email when the provider verified it; SignInRefused otherwise (aiops links
    and creates accounts by verified emails only)."""
    email = _verified_email_or_none(claims)
    if email is not None:
        return email
    if claims.email:
        raise SignInRefused(
            f"{claims.provider} has not verified {claims.email[:80]}: aiops accepts only a "
            "verified email for a first sign-in; ask an admin"
        )
    raise SignInRefused(f"{claims.provider} gave no email for this account: ask an admin")


def _display_name(claims: OidcClaims, email: str) -> str:
    try:
        return validation.display_name(claims.name or "")
    except ValidationError:
        return email


def free_username(uow: UnitOfWork, email: str) -> str:
    """A username from the email's local part, with -2, -3... when another user has it."""
    base = validation.username_from_email(email)
    candidate, number = base, 1
    while uow.users.get_by_username(candidate) is not None:
        number += 1
        suffix = f"-{number}"
        candidate = base[: 32 - len(suffix)] + suffix
    return candidate


class LastOidcSignIns:
    """When someone last signed in through each configured provider (None: never), for the
    admin's settings page."""

    def __init__(self, *, uow: UnitOfWorkFactory, providers: Sequence[str]) -> None:
        self._uow = uow
        self._providers = tuple(providers)

    def __call__(self, actor: Actor = SYSTEM) -> dict[str, datetime | None]:
        actor.require_admin()
        with self._uow(read_only=True) as uow:
            latest = uow.user_identities.last_sign_ins()
        return {name: latest.get(name) for name in self._providers}
