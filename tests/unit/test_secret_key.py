"""VerifySecretKey and RotateSecretKey on the in-memory unit of work."""

from __future__ import annotations

import attrs
import pytest

from aiops.domain.errors import SecretKeyMismatch
from aiops.domain.model.projects import Project
from aiops.domain.model.trackers import Provider, TrackerConnection
from aiops.domain.usecases.secrets import RotateSecretKey, VerifySecretKey
from tests.fakes import FakeClock, FakeSecretBox, FakeUnitOfWork, State

OLD, NEW = FakeSecretBox("old"), FakeSecretBox("new")


def stored(box: FakeSecretBox) -> FakeUnitOfWork:
    """A database holding three secrets sealed by `box`: an https token, a tracker token and a
    webhook secret."""
    project = Project(tenant_id=1, slug="web", name="Web", id=1, https_token_sealed=box.seal("h"))
    connection = TrackerConnection(
        project_id=1,
        provider=Provider.GITHUB,
        base_url="https://api.github.com",
        key="acme/web",
        token_sealed=box.seal("t"),
        webhook_secret_sealed=box.seal("w"),
        id=2,
    )
    return FakeUnitOfWork(State(projects={1: project}, trackers={2: connection}, next_id=3))


def plaintexts(uow: FakeUnitOfWork, box: FakeSecretBox) -> list[tuple[str, int, str]]:
    with uow:
        return [(s.kind, s.owner_id, box.open(s.sealed)) for s in uow.sealed_secrets.all()]


def test_the_first_check_opens_every_secret_then_stores_a_probe_the_key_opens() -> None:
    uow = stored(OLD)

    VerifySecretKey(uow, OLD)()
    VerifySecretKey(uow, OLD)()

    assert uow.committed.secret_probe is not None
    assert OLD.open(uow.committed.secret_probe)
    assert uow.commits == 1  # the second check only reads


@pytest.mark.parametrize("probed", [True, False], ids=["probe", "no-probe-yet"])
def test_another_key_is_refused_with_what_to_do(probed: bool) -> None:
    uow = stored(OLD)
    if probed:
        VerifySecretKey(uow, OLD)()
    before = uow.committed.copy()

    with pytest.raises(SecretKeyMismatch, match=r"restore instance/secret\.key") as refused:
        VerifySecretKey(uow, NEW)()

    assert uow.committed == before
    assert "sealed:" not in str(refused.value)


def test_a_key_generated_just_now_is_missing_when_the_database_holds_secrets() -> None:
    uow = stored(OLD)

    with pytest.raises(SecretKeyMismatch, match="the secret key is missing"):
        VerifySecretKey(uow, NEW)(key_is_new=True)


def test_a_new_key_on_an_empty_database_is_simply_adopted() -> None:
    uow = FakeUnitOfWork()

    VerifySecretKey(uow, NEW)(key_is_new=True)

    assert uow.committed.secret_probe is not None
    assert NEW.open(uow.committed.secret_probe)


def test_rotation_reseals_every_secret_and_the_probe_under_the_new_key() -> None:
    uow = stored(OLD)
    VerifySecretKey(uow, OLD)()

    count = RotateSecretKey(uow, FakeClock())(OLD, NEW)

    assert count == 3
    assert plaintexts(uow, NEW) == [
        ("project https token", 1, "h"),
        ("tracker token", 2, "t"),
        ("tracker webhook secret", 2, "w"),
    ]
    VerifySecretKey(uow, NEW)()
    with pytest.raises(SecretKeyMismatch):
        VerifySecretKey(uow, OLD)()
    [event] = uow.committed.audit
    assert (event.action, event.detail) == ("secrets.rotated", {"count": 3})


def test_rotation_with_the_wrong_current_key_changes_nothing() -> None:
    uow = stored(OLD)
    VerifySecretKey(uow, OLD)()
    before = uow.committed.copy()

    with pytest.raises(SecretKeyMismatch, match="does not open"):
        RotateSecretKey(uow, FakeClock())(NEW, FakeSecretBox("newer"))

    assert uow.committed == before


def test_one_unreadable_secret_stops_the_rotation_and_names_it_without_its_value() -> None:
    uow = stored(OLD)
    lost = FakeSecretBox("lost").seal("t")
    uow.committed.trackers[2] = attrs.evolve(uow.committed.trackers[2], token_sealed=lost)
    before = uow.committed.copy()

    with pytest.raises(SecretKeyMismatch, match="tracker token 2 cannot be opened"):
        RotateSecretKey(uow, FakeClock())(OLD, NEW)

    assert uow.committed == before
