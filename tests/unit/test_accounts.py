"""Which Linux account a user is: one decision (the mapping, then linux_username, then the
username with strategy direct), and one account for at most one user."""

from __future__ import annotations

from pathlib import PurePosixPath

import attrs
import pytest
from dependency_injector import providers
from hypothesis import given
from hypothesis import strategies as st

from aiops.config import ConfigError, load_settings
from aiops.container import Container
from aiops.domain.errors import PermissionDenied
from aiops.domain.model.access import Actor
from aiops.domain.model.accounts import AccountTaken, account_clash, account_for
from aiops.domain.model.users import User
from aiops.domain.model.workspaces import WorkspacePolicy
from aiops.domain.usecases.seed import SeedCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeUnitOfWork

names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
strategies = st.sampled_from(["mapping", "direct"])


@st.composite
def users(draw: st.DrawFn) -> User:
    username = draw(names)
    return User(
        email=f"{username}@example.com",
        name=username,
        username=username,
        linux_username=draw(st.none() | names),
    )


@given(user=users(), mapped=st.none() | names, strategy=strategies)
def test_the_mapping_wins_then_linux_username_then_direct_usernames(
    user: User, mapped: str | None, strategy: str
) -> None:
    mapping = {user.email: mapped} if mapped else {}

    account = account_for(user, strategy=strategy, mapping=mapping)

    if mapped:
        assert account == mapped
    elif user.linux_username:
        assert account == user.linux_username
    elif strategy == "direct":
        assert account == user.username
    else:
        assert account is None


def test_the_mapping_is_looked_up_by_the_users_email() -> None:
    ivo = User(email="ivo@example.com", name="Ivo", username="ivo", linux_username="ivo_l")

    assert account_for(ivo, strategy="mapping", mapping={"ivo@example.com": "ivan"}) == "ivan"
    assert account_for(ivo, strategy="mapping", mapping={"eva@example.com": "ivan"}) == "ivo_l"


@given(people=st.lists(users(), min_size=1, max_size=6, unique_by=lambda u: u.email),
       mapping=st.dictionaries(st.builds("{}@example.com".format, names), names, max_size=4),
       strategy=strategies)  # fmt: skip
def test_a_clash_is_reported_exactly_when_another_user_has_the_same_account(
    people: list[User], mapping: dict[str, str], strategy: str
) -> None:
    newcomer, *others = people

    clash = account_clash(newcomer, others, strategy=strategy, mapping=mapping)

    mine = account_for(newcomer, strategy=strategy, mapping=mapping)
    theirs = {account_for(o, strategy=strategy, mapping=mapping) for o in others}
    assert (clash is not None) == (mine is not None and mine in theirs)
    if clash is not None:
        assert f"the Linux account {mine!r} is already" in clash.message


@pytest.fixture
def mapped(app: Container) -> Container:
    policy = WorkspacePolicy(
        root=PurePosixPath("/home"), linux_user_mapping={"ana@example.com": "ana"}
    )
    app.workspace_policy.override(providers.Object(policy))
    return app


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # A linux_username equal to another user's mapped account, and the other way round.
        (CreateUserCommand(email="ana@example.com", name="Ana", username="ana_x"),
         CreateUserCommand(email="bo@example.com", name="Bo", linux_username="ana")),
        (CreateUserCommand(email="bo@example.com", name="Bo", linux_username="ana"),
         CreateUserCommand(email="ana@example.com", name="Ana", username="ana_x")),
        # Two users with the same linux_username.
        (CreateUserCommand(email="bo@example.com", name="Bo", linux_username="shared"),
         CreateUserCommand(email="cy@example.com", name="Cy", linux_username="shared")),
    ],
)  # fmt: skip
def test_a_user_whose_account_is_another_users_is_refused_and_nothing_stored(
    mapped: Container, uow: FakeUnitOfWork, first: CreateUserCommand, second: CreateUserCommand
) -> None:
    mapped.create_user()(first)
    before = uow.committed.copy()

    with pytest.raises(AccountTaken, match=r"the Linux account '\w+' is already \S+@example.com's"):
        mapped.create_user()(second)

    assert uow.committed == before


def test_with_strategy_direct_a_username_counts_as_an_account(
    app: Container, uow: FakeUnitOfWork
) -> None:
    direct = attrs.evolve(app.workspace_policy(), linux_user_strategy="direct")
    app.workspace_policy.override(providers.Object(direct))
    app.create_user()(CreateUserCommand(email="max@example.com", name="Max"))

    with pytest.raises(AccountTaken, match=r"'max' is already max@example\.com's"):
        app.create_user()(
            CreateUserCommand(email="eva@example.com", name="Eva", linux_username="max")
        )


def test_the_seeded_admin_is_refused_an_account_taken_already(mapped: Container) -> None:
    mapped.create_user()(CreateUserCommand(email="bo@example.com", name="Bo", linux_username="ana"))

    with pytest.raises(AccountTaken):
        mapped.seed_defaults()(SeedCommand(admin_email="ana@example.com"))


def test_users_without_an_account_never_clash(app: Container) -> None:
    app.create_user()(CreateUserCommand(email="a@example.com", name="A"))
    app.create_user()(CreateUserCommand(email="b@example.com", name="B"))

    assert len(app.list_users()()) == 2


@pytest.mark.parametrize(
    "actor",
    [Actor(name="olga@example.com", user_id=7, roles={}), Actor(name="x@example.com", user_id=8)],
)
def test_only_a_global_admin_sets_a_linux_username(
    app: Container, uow: FakeUnitOfWork, actor: Actor
) -> None:
    with pytest.raises(PermissionDenied):
        app.create_user()(
            CreateUserCommand(
                email="eve@example.com", name="Eve", linux_username="root", actor=actor
            )
        )

    assert uow.committed.users == {}


def test_two_emails_mapped_to_one_account_stop_the_settings_naming_it() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(
            linux_user_mapping={"ana@example.com": "ops", "Bo@Example.com": "ops"},
            database_url="sqlite://",
        )

    assert "AIOPS_LINUX_USER_MAPPING" in raised.value.message
    assert "'ops' is mapped from ana@example.com, bo@example.com" in raised.value.message


def test_one_email_mapped_twice_in_different_cases_is_refused() -> None:
    with pytest.raises(ConfigError, match="mapped twice"):
        load_settings(
            linux_user_mapping={"ana@example.com": "ana", "ANA@example.com": "anna"},
            database_url="sqlite://",
        )


def test_the_deny_list_is_names_separated_by_commas() -> None:
    settings = load_settings(linux_user_deny=" nobody, postgres ,,", database_url="sqlite://")

    assert settings.linux_user_deny_list == {"nobody", "postgres"}
    with pytest.raises(ConfigError, match="AIOPS_LINUX_USER_DENY"):
        load_settings(linux_user_deny="nobody,../etc", database_url="sqlite://")
