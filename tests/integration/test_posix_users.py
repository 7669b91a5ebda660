"""PosixLinuxUsers against the real password database: root, system accounts (a uid below
UID_MIN) and denied accounts are refused, saying why; a person's account is found. Through the
container: AIOPS_LINUX_USER_DENY is applied, and with strategy direct a user named after a
system account (postgres@...) runs no session."""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from collections.abc import Iterator

import attrs
import pytest
from dependency_injector import providers

from aiops.adapters.posix_users import PosixLinuxUsers
from aiops.adapters.system_accounts import uid_min
from aiops.config import Settings
from aiops.container import Container
from aiops.domain.errors import AccountRefused
from aiops.domain.model.sessions import SessionRefused
from aiops.domain.usecases.memberships import AddMemberCommand
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.sessions import LaunchSessionCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.fakes import FakeTmuxSessions

ROOT = os.geteuid() == 0


@pytest.fixture
def person() -> Iterator[str]:
    """A throwaway account made with useradd (uid >= UID_MIN), removed afterwards."""
    if not ROOT:
        pytest.skip("making a throwaway Linux account needs root")
    name = f"aiops-t-{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--no-create-home", name], check=True, timeout=30)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False, timeout=30, capture_output=True)


@pytest.fixture
def users() -> PosixLinuxUsers:
    return PosixLinuxUsers(deny={"nobody"}, minimum=uid_min())


def system_account() -> pwd.struct_passwd:
    """An account every Linux system has below UID_MIN (daemon, bin, ...)."""
    minimum = uid_min()
    return next(e for e in pwd.getpwall() if 0 < e.pw_uid < minimum)


def test_root_is_refused_saying_so(users: PosixLinuxUsers) -> None:
    with pytest.raises(AccountRefused) as refused:
        users.lookup("root")

    assert refused.value.message == "root is root (uid 0): aiops never acts as root"


def test_a_system_account_is_refused_with_its_uid(users: PosixLinuxUsers) -> None:
    entry = system_account()

    with pytest.raises(AccountRefused) as refused:
        users.lookup(entry.pw_name)

    assert refused.value.message == (
        f"{entry.pw_name} is a system account (uid {entry.pw_uid} < UID_MIN {uid_min()})"
    )


def test_a_denied_account_is_refused_whatever_its_uid(users: PosixLinuxUsers) -> None:
    with pytest.raises(AccountRefused, match=r"nobody is on the deny list"):
        users.lookup("nobody")


def test_an_unknown_account_is_none(users: PosixLinuxUsers) -> None:
    assert users.lookup("no-such-account-here") is None


def test_a_persons_account_is_found(users: PosixLinuxUsers, person: str) -> None:
    found = users.lookup(person)

    assert found is not None
    assert (found.name, found.uid) == (person, pwd.getpwnam(person).pw_uid)
    assert found.uid >= uid_min()


def test_the_minimum_is_read_from_login_defs_once_at_construction(person: str) -> None:
    uid = pwd.getpwnam(person).pw_uid

    strict = PosixLinuxUsers(deny=(), minimum=uid + 1)

    with pytest.raises(AccountRefused, match=rf"uid {uid} < UID_MIN {uid + 1}"):
        strict.lookup(person)
    assert PosixLinuxUsers().minimum == uid_min()


def test_the_container_applies_aiops_linux_user_deny(settings: Settings, person: str) -> None:
    from aiops.container import bootstrap

    app = bootstrap(attrs.evolve(settings, linux_user_deny=f"nobody,{person}"))

    with pytest.raises(AccountRefused, match=f"{person} is on the deny list"):
        app.gateways.linux_users().lookup(person)
    assert app.gateways.linux_users().minimum == uid_min()


def test_with_strategy_direct_postgres_at_runs_no_session(app: Container) -> None:
    """A user postgres@example.com is the `postgres` account with strategy direct: a system
    account, refused with a message that says so (and nothing is launched)."""
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres account on this machine")
    tmux = FakeTmuxSessions()
    app.gateways.tmux_sessions.override(providers.Object(tmux))
    app.workspace_policy.override(
        providers.Object(attrs.evolve(app.workspace_policy(), linux_user_strategy="direct"))
    )
    app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    project = app.create_project()(CreateProjectCommand(tenant="acme", slug="web", name="Web"))
    app.create_user()(CreateUserCommand(email="postgres@example.com", name="Postgres"))
    app.add_member()(AddMemberCommand(tenant="acme", email="postgres@example.com", role="member"))
    assert project.id is not None

    with pytest.raises(SessionRefused) as refused:
        app.launch_session()(
            LaunchSessionCommand(
                project_id=project.id, tool="shell", user_email="postgres@example.com"
            )
        )

    assert refused.value.message == (
        "postgres@example.com may not run sessions: postgres is a system account "
        f"(uid {entry.pw_uid} < UID_MIN {uid_min()})"
    )
    assert tmux.launched == []
