from __future__ import annotations

from datetime import timedelta

import pytest

from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.model.access import Actor
from aiops.domain.model.audit import REDACTED, AuditEvent
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import FakeClock


def test_audit_detail_never_keeps_a_secret_looking_value(clock: FakeClock) -> None:
    event = AuditEvent(
        actor="a",
        action="x",
        target="t",
        at=clock.now(),
        detail={"password": "p", "api_key": "k", "Authorization": "Bearer x", "name": "ok"},
    )

    assert event.detail == {
        "password": REDACTED,
        "api_key": REDACTED,
        "Authorization": REDACTED,
        "name": "ok",
    }


def test_audit_detail_keeps_what_happened_to_a_secret_but_never_its_value(
    clock: FakeClock,
) -> None:
    detail = {"https_token": "set", "token": "cleared", "secret": "ghp_x", "api_token": None}

    event = AuditEvent(actor="a", action="x", target="t", at=clock.now(), detail=detail)

    assert event.detail == {
        "https_token": "set",
        "token": "cleared",
        "secret": REDACTED,
        "api_token": REDACTED,
    }


def test_audit_list_filters_and_orders_newest_first(app: Container, clock: FakeClock) -> None:
    for slug in ("a", "b", "c"):
        app.create_tenant()(
            CreateTenantCommand(
                slug=slug, name=slug, actor=Actor(name=f"user-{slug}", is_admin=True)
            )
        )
        clock.advance(minutes=1)

    newest_first = app.list_audit_events()(AuditQuery())
    by_actor = app.list_audit_events()(AuditQuery(actor="user-b"))
    recent = app.list_audit_events()(AuditQuery(since=clock.now() - timedelta(minutes=2)))

    assert [e.tenant for e in newest_first] == ["c", "b", "a"]
    assert [e.tenant for e in by_actor] == ["b"]
    assert [e.tenant for e in recent] == ["c", "b"]
    assert [e.tenant for e in app.list_audit_events()(AuditQuery(limit=1))] == ["c"]


@pytest.mark.parametrize("limit", [0, -1, 10_001])
def test_audit_list_refuses_a_silly_limit(app: Container, limit: int) -> None:
    with pytest.raises(ValidationError, match="limit"):
        app.list_audit_events()(AuditQuery(limit=limit))


def test_audit_list_refuses_since_after_until(app: Container, clock: FakeClock) -> None:
    with pytest.raises(ValidationError, match="since"):
        app.list_audit_events()(
            AuditQuery(since=clock.now(), until=clock.now() - timedelta(seconds=1))
        )
