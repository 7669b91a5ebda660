from __future__ import annotations

import pytest

from aiops import bootstrap
from aiops.container import Container
from tests.fakes import (
    FakeClock,
    FakeKeyStore,
    FakePasswordHasher,
    FakeRemoteHosts,
    FakeSecretBox,
    FakeUnitOfWork,
)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def hasher() -> FakePasswordHasher:
    return FakePasswordHasher()


@pytest.fixture
def keys() -> FakeKeyStore:
    return FakeKeyStore()


@pytest.fixture
def secret_box() -> FakeSecretBox:
    return FakeSecretBox()


@pytest.fixture
def remote_hosts() -> FakeRemoteHosts:
    return FakeRemoteHosts({"git.example.com": ["203.0.113.10"]})


@pytest.fixture
def app(
    uow: FakeUnitOfWork,
    clock: FakeClock,
    hasher: FakePasswordHasher,
    keys: FakeKeyStore,
    secret_box: FakeSecretBox,
    remote_hosts: FakeRemoteHosts,
) -> Container:
    """The real container, every port replaced by an in-memory fake (as library users can)."""
    return bootstrap(
        uow=uow,
        clock=clock,
        hasher=hasher,
        key_store=keys,
        secret_box=secret_box,
        remote_hosts=remote_hosts,
    )
