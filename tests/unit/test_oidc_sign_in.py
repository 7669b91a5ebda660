"""Sign-in through an OpenID Connect provider (issue 20): which account the verified claims
open, and how the provider's groups become roles at every sign-in, against the in-memory unit
of work."""

from __future__ import annotations

import attrs
import pytest
from dependency_injector import providers
from hypothesis import given
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import AuthenticationFailed, PermissionDenied
from aiops.domain.model.access import Actor
from aiops.domain.model.oidc import GroupGrant, OidcClaims, SignInRefused, group_grants
from aiops.domain.model.tenants import Membership, Role
from aiops.domain.model.users import GrantSource, User
from aiops.domain.usecases.auth import SignedIn, SignInCommand
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.oidc import OidcPolicy, OidcSignInCommand, plan_admin, plan_roles
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand, SetAdminCommand, SetPasswordCommand
from tests.fakes import FakeClock, FakeUnitOfWork

IVO = "ivo@example.com"
ROLES = {
    "platform-admins": "admin",
    "acme-devs": "acme:member",
    "acme-leads": "acme:owner",
    "beta-viewers": "beta:viewer",
    "ghost-devs": "ghost:member",
}


@pytest.fixture(autouse=True)
def tenants(app: Container) -> None:
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    app.create_tenant()(CreateTenantCommand(slug="beta", name="Beta"))
    app.create_user()(CreateUserCommand(email=IVO, name="Ivo"))


def use_policy(app: Container, **fields: object) -> None:
    policy = OidcPolicy(grants=group_grants(ROLES), **fields)  # type: ignore[arg-type]
    app.oidc_policy.override(providers.Object(policy))


def claims(
    subject: str = "sub-ivo",
    email: str | None = IVO,
    *,
    verified: bool = True,
    groups: tuple[str, ...] = (),
    name: str | None = "Ivo Petrov",
) -> OidcClaims:
    return OidcClaims(
        provider="corp",
        subject=subject,
        email=email,
        email_verified=verified,
        name=name,
        groups=groups,
    )


def sign_in(app: Container, given: OidcClaims) -> SignedIn:
    return app.sign_in_with_oidc()(OidcSignInCommand(claims=given, address="192.0.2.7"))


def user(uow: FakeUnitOfWork, email: str) -> User:
    return next(u for u in uow.committed.users.values() if u.email == email)


def roles_of(uow: FakeUnitOfWork, email: str) -> dict[str, tuple[Role, GrantSource]]:
    found = user(uow, email)
    slugs = {t.id: t.slug for t in uow.committed.tenants.values()}
    return {
        slugs[m.tenant_id]: (m.role, m.source)
        for m in uow.committed.memberships.values()
        if m.user_id == found.id
    }


def actions(uow: FakeUnitOfWork) -> list[str]:
    return [event.action for event in uow.committed.audit]


# Accounts


def test_a_first_sign_in_with_a_verified_email_links_the_account_and_is_audited(
    app: Container, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    signed = sign_in(app, claims())

    assert signed.actor.name == IVO
    [identity] = uow.committed.user_identities.values()
    assert (identity.provider, identity.subject, identity.user_id) == (
        "corp",
        "sub-ivo",
        user(uow, IVO).id,
    )
    assert identity.last_sign_in_at == clock.now()
    last = uow.committed.audit[-1]
    assert (last.action, last.actor, last.detail["provider"]) == ("user.signed_in", IVO, "corp")
    assert last.detail["address"] == "192.0.2.7"
    assert "user.identity_linked" in actions(uow)


def test_later_sign_ins_find_the_user_by_subject_whatever_the_email_says(
    app: Container, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    sign_in(app, claims())
    clock.advance(hours=1)

    signed = sign_in(app, claims(email="someone-else@example.com", verified=False))

    assert signed.actor.user_id == user(uow, IVO).id
    [identity] = uow.committed.user_identities.values()
    assert identity.last_sign_in_at == clock.now()
    assert identity.email == "someone-else@example.com"  # as last seen; the user's stays


def test_an_unverified_email_never_opens_an_existing_account(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app, auto_create=True)

    with pytest.raises(SignInRefused, match=r"has not verified ivo@example\.com"):
        sign_in(app, claims(verified=False))

    assert uow.committed.user_identities == {}
    assert len(uow.committed.users) == 1


def test_a_subject_no_column_could_hold_is_refused(app: Container) -> None:
    with pytest.raises(SignInRefused, match="not 1-255 characters"):
        sign_in(app, claims("s" * 256))


def test_a_long_email_is_kept_as_last_seen_only_up_to_its_column(
    app: Container, uow: FakeUnitOfWork
) -> None:
    sign_in(app, claims())
    sign_in(app, claims(email="x" * 300, verified=False))

    [identity] = uow.committed.user_identities.values()
    assert identity.email == "x" * 254


def test_claims_without_an_email_are_refused_on_a_first_sign_in(app: Container) -> None:
    use_policy(app, auto_create=True)

    with pytest.raises(SignInRefused, match="gave no email"):
        sign_in(app, claims(email=None))


def test_an_unknown_person_is_told_to_ask_an_admin(app: Container, uow: FakeUnitOfWork) -> None:
    with pytest.raises(SignInRefused) as refused:
        sign_in(app, claims("sub-new", "new@example.com"))

    assert refused.value.message == "no aiops account for new@example.com: ask an admin to add you"
    assert len(uow.committed.users) == 1


def test_auto_create_makes_a_user_without_a_password_with_a_free_username(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app, auto_create=True)
    app.create_user()(CreateUserCommand(email="ana@example.org", name="Other Ana"))

    signed = sign_in(app, claims("sub-ana", "Ana@Example.com", name="Ana Lima"))

    created = user(uow, "ana@example.com")
    assert signed.actor.user_id == created.id
    assert (created.name, created.username, created.password_hash) == ("Ana Lima", "ana-2", None)
    assert not created.is_admin
    assert [e.actor for e in uow.committed.audit if e.action == "user.created"][-1] == "oidc:corp"


def test_auto_create_names_the_user_after_the_email_when_the_claims_have_no_name(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app, auto_create=True)

    sign_in(app, claims("sub-bo", "bo@example.com", name=None))

    assert user(uow, "bo@example.com").name == "bo@example.com"


def test_an_email_changed_at_the_provider_changes_the_users(
    app: Container, uow: FakeUnitOfWork
) -> None:
    sign_in(app, claims())

    signed = sign_in(app, claims(email="ivo.petrov@example.com"))

    assert signed.actor.name == "ivo.petrov@example.com"
    assert user(uow, "ivo.petrov@example.com").id == signed.actor.user_id
    changed = next(e for e in uow.committed.audit if e.action == "user.email_changed")
    assert changed.detail["email"] == "ivo.petrov@example.com"


def test_an_email_another_user_has_is_not_taken_and_the_audit_says_so(
    app: Container, uow: FakeUnitOfWork
) -> None:
    app.create_user()(CreateUserCommand(email="ana@example.com", name="Ana"))
    sign_in(app, claims())

    signed = sign_in(app, claims(email="ana@example.com"))

    assert signed.actor.name == IVO
    refused = next(e for e in uow.committed.audit if e.action == "user.email_change_refused")
    assert (refused.target, refused.detail["email"]) == (f"user:{IVO}", "ana@example.com")


def test_an_email_that_would_bring_another_users_linux_account_is_not_taken(
    app: Container, uow: FakeUnitOfWork
) -> None:
    mapping = {"ana@example.com": "ana", "new@example.com": "ana"}
    policy = attrs.evolve(app.workspace_policy(), linux_user_mapping=mapping)
    app.workspace_policy.override(providers.Object(policy))
    app.create_user()(CreateUserCommand(email="ana@example.com", name="Ana"))
    sign_in(app, claims())

    signed = sign_in(app, claims(email="new@example.com"))

    assert signed.actor.name == IVO
    refused = next(e for e in uow.committed.audit if e.action == "user.email_change_refused")
    assert "the Linux account 'ana' is already ana@example.com's" in str(refused.detail["reason"])


# Groups to roles


def test_groups_give_roles_that_follow_the_groups_at_every_sign_in(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app)
    member, owner = (Role.MEMBER, GrantSource.OIDC), (Role.OWNER, GrantSource.OIDC)

    sign_in(app, claims(groups=("acme-devs", "beta-viewers")))
    assert roles_of(uow, IVO) == {"acme": member, "beta": (Role.VIEWER, GrantSource.OIDC)}

    sign_in(app, claims(groups=("acme-leads",)))
    assert roles_of(uow, IVO) == {"acme": owner}

    signed = sign_in(app, claims(groups=()))
    assert roles_of(uow, IVO) == {}
    assert signed.actor.roles == {}
    changes = [e for e in uow.committed.audit if e.action.startswith("membership.")]
    assert [(e.action, e.tenant, e.detail["role"]) for e in changes] == [
        ("membership.added", "acme", "member"),
        ("membership.added", "beta", "viewer"),
        ("membership.role_changed", "acme", "owner"),
        ("membership.removed", "beta", None),
        ("membership.removed", "acme", None),
    ]
    assert {e.actor for e in changes} == {"oidc:corp"}


def test_the_highest_role_wins_when_two_groups_name_one_tenant(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app)

    signed = sign_in(app, claims(groups=("acme-devs", "acme-leads")))

    assert roles_of(uow, IVO) == {"acme": (Role.OWNER, GrantSource.OIDC)}
    assert set(signed.actor.roles.values()) == {Role.OWNER}


def test_memberships_made_by_hand_are_never_touched(app: Container, uow: FakeUnitOfWork) -> None:
    use_policy(app)
    app.add_member()(AddMemberCommand(tenant="acme", email=IVO, role="viewer"))

    sign_in(app, claims(groups=("acme-leads", "beta-viewers")))
    assert roles_of(uow, IVO)["acme"] == (Role.VIEWER, GrantSource.MANUAL)

    sign_in(app, claims(groups=()))
    assert roles_of(uow, IVO) == {"acme": (Role.VIEWER, GrantSource.MANUAL)}


def test_a_membership_from_a_group_becomes_manual_when_set_by_hand(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app)
    sign_in(app, claims(groups=("acme-devs",)))

    app.add_member()(AddMemberCommand(tenant="acme", email=IVO, role="member"))
    sign_in(app, claims(groups=()))

    assert roles_of(uow, IVO) == {"acme": (Role.MEMBER, GrantSource.MANUAL)}
    [member] = app.list_members()("acme")
    assert member.source is GrantSource.MANUAL


def test_listing_members_tells_provider_roles_from_manual_ones(app: Container) -> None:
    use_policy(app)
    app.create_user()(CreateUserCommand(email="ana@example.com", name="Ana"))
    app.add_member()(AddMemberCommand(tenant="acme", email="ana@example.com", role="owner"))

    sign_in(app, claims(groups=("acme-devs",)))

    sources = {m.user.email: m.source for m in app.list_members()("acme")}
    assert sources == {"ana@example.com": GrantSource.MANUAL, IVO: GrantSource.OIDC}


def test_a_group_naming_an_unknown_tenant_is_skipped_and_audited(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app)

    sign_in(app, claims(groups=("ghost-devs", "acme-devs")))

    assert set(roles_of(uow, IVO)) == {"acme"}
    skipped = next(e for e in uow.committed.audit if e.action == "user.group_grant_skipped")
    assert skipped.detail["tenants"] == "ghost"


def test_a_group_makes_an_admin_and_its_loss_takes_it_back(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app)

    assert sign_in(app, claims(groups=("platform-admins",))).actor.is_admin
    assert user(uow, IVO).admin_source is GrantSource.OIDC

    assert not sign_in(app, claims(groups=())).actor.is_admin
    assert (user(uow, IVO).is_admin, user(uow, IVO).admin_source) == (False, None)
    assert actions(uow).count("user.admin_granted") == 1
    assert actions(uow).count("user.admin_revoked") == 1


@pytest.mark.parametrize("made_before_issue_20", [False, True])
def test_an_admin_made_by_hand_stays_one_whatever_the_groups(
    app: Container, uow: FakeUnitOfWork, made_before_issue_20: bool
) -> None:
    use_policy(app)
    app.set_admin()(SetAdminCommand(email=IVO, is_admin=True))
    if made_before_issue_20:  # the column is NULL for admins from before it
        stored = user(uow, IVO)
        uow.committed.users[stored.id] = attrs.evolve(stored, admin_source=None)  # type: ignore[index]

    sign_in(app, claims(groups=("platform-admins",)))
    signed = sign_in(app, claims(groups=()))

    assert signed.actor.is_admin
    assert "user.admin_revoked" not in actions(uow)


def test_an_admin_from_a_group_made_admin_by_hand_keeps_it_after_the_group_goes(
    app: Container, uow: FakeUnitOfWork
) -> None:
    use_policy(app)
    sign_in(app, claims(groups=("platform-admins",)))

    app.set_admin()(SetAdminCommand(email=IVO, is_admin=True))
    signed = sign_in(app, claims(groups=()))

    assert signed.actor.is_admin
    assert user(uow, IVO).admin_source is GrantSource.MANUAL


def test_only_members_of_a_required_group_may_sign_in(app: Container, uow: FakeUnitOfWork) -> None:
    use_policy(app, required_groups=frozenset({"staff", "contractors"}))

    with pytest.raises(SignInRefused) as refused:
        sign_in(app, claims(groups=("acme-devs",)))

    assert refused.value.message == (
        "ivo@example.com is not in a group allowed to sign in: ask an admin"
    )
    assert uow.committed.user_identities == {}
    assert sign_in(app, claims(groups=("contractors",))).actor.name == IVO


def test_signing_in_again_with_the_same_claims_changes_nothing_but_the_record(
    app: Container, uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    use_policy(app)
    groups = ("platform-admins", "acme-devs", "beta-viewers", "ghost-devs")
    sign_in(app, claims(groups=groups))
    before = (dict(uow.committed.users), dict(uow.committed.memberships))
    events = len(uow.committed.audit)

    clock.advance(minutes=5)
    sign_in(app, claims(groups=groups))

    assert (dict(uow.committed.users), dict(uow.committed.memberships)) == before
    new = [e.action for e in uow.committed.audit[events:]]
    assert new == ["user.group_grant_skipped", "user.signed_in"]


def test_last_sign_ins_are_per_configured_provider_and_for_admins_only(
    app: Container, clock: FakeClock
) -> None:
    entry = {"issuer": "https://id.example.com", "client_id": "aiops", "client_secret": "s"}
    configured = attrs.evolve(app.settings(), oidc_providers={"corp": entry, "lab": entry})
    app.settings.override(providers.Object(configured))
    assert app.last_oidc_sign_ins()() == {"corp": None, "lab": None}

    sign_in(app, claims())

    assert app.last_oidc_sign_ins()() == {"corp": clock.now(), "lab": None}
    with pytest.raises(PermissionDenied):
        app.last_oidc_sign_ins()(Actor(name=IVO, user_id=1))


# Password sign-in switched off


def test_password_sign_in_can_be_turned_off_while_set_password_still_works(
    app: Container, uow: FakeUnitOfWork
) -> None:
    password = "correct horse battery staple"
    app.set_password()(SetPasswordCommand(email=IVO, password=password))
    cmd = SignInCommand(email=IVO, password=password, address="192.0.2.7")
    assert app.sign_in()(cmd).actor.name == IVO

    app.settings.override(providers.Object(attrs.evolve(app.settings(), password_login=False)))
    app.sign_in.reset()

    with pytest.raises(AuthenticationFailed, match="password sign-in is turned off"):
        app.sign_in()(cmd)
    assert uow.committed.login_failures == []


# The pure decisions


TENANTS = st.integers(1, 5)
ROLE = st.sampled_from(list(Role))
SOURCE = st.sampled_from(list(GrantSource))


def apply(current: list[Membership], wanted: dict[int, Role]) -> list[Membership]:
    held = {m.tenant_id: m for m in current}
    for change in plan_roles(wanted, current):
        if change.role is None:
            del held[change.tenant_id]
        else:
            held[change.tenant_id] = Membership(1, change.tenant_id, change.role, GrantSource.OIDC)
    return sorted(held.values(), key=lambda m: m.tenant_id)


@given(
    current=st.dictionaries(TENANTS, st.tuples(ROLE, SOURCE)),
    wanted=st.dictionaries(TENANTS, ROLE),
)
def test_planned_roles_match_the_grants_keep_manual_ones_and_settle_at_once(
    current: dict[int, tuple[Role, GrantSource]], wanted: dict[int, Role]
) -> None:
    memberships = [Membership(1, t, role, source) for t, (role, source) in sorted(current.items())]

    after = apply(memberships, wanted)

    manual = {m.tenant_id: m for m in memberships if m.source is GrantSource.MANUAL}
    assert {m.tenant_id: m for m in after if m.source is GrantSource.MANUAL} == manual
    provided = {m.tenant_id: m.role for m in after if m.source is GrantSource.OIDC}
    assert provided == {t: role for t, role in wanted.items() if t not in manual}
    assert plan_roles(wanted, after) == []


@given(is_admin=st.booleans(), source=st.sampled_from([None, *GrantSource]), granted=st.booleans())
def test_the_admin_right_moves_only_when_the_provider_gave_it(
    is_admin: bool, source: GrantSource | None, granted: bool
) -> None:
    source = source if is_admin else None  # only an admin's right has a source
    before = User(email=IVO, name="Ivo", username="ivo", is_admin=is_admin, admin_source=source)

    after = plan_admin(before, granted) or before

    if is_admin and source is not GrantSource.OIDC:
        assert after == before
    else:
        assert after.is_admin == granted
        assert after.admin_source is (GrantSource.OIDC if granted else None)
    assert plan_admin(after, granted) is None


def test_the_policy_reads_the_grants_given() -> None:
    policy = OidcPolicy(
        grants=(
            GroupGrant(group="a", tenant="acme", role=Role.VIEWER),
            GroupGrant(group="b", tenant="acme", role=Role.MEMBER),
            GroupGrant(group="c", admin=True),
        )
    )

    assert policy.roles_for(("b", "a", "x")) == {"acme": Role.MEMBER}
    assert policy.admin_for(("c",))
    assert not policy.admin_for(("a", "b"))
    assert policy.admits(())
    assert not attrs.evolve(policy, required_groups=frozenset({"c"})).admits(("a",))
