"""Hypothesis through real databases: valid slugs, colours and emails survive a round trip;
invalid ones raise the domain error and store nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.users import CreateUserCommand
from tests.strategies import colors, emails, invalid_colors, invalid_slugs, slugs

DB_EXAMPLES = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])


@DB_EXAMPLES
@given(slug=slugs(), color=colors(), name=st.text(min_size=1, max_size=50))
def test_valid_tenants_round_trip(app: Container, slug: str, color: str, name: str) -> None:
    assume(name.strip() and name.isprintable())
    assume(slug not in {t.slug for t in app.list_tenants()()})

    created = app.create_tenant()(CreateTenantCommand(slug=slug, name=name, color=color))

    stored = {t.slug: t for t in app.list_tenants()()}[slug]
    assert stored == created
    assert stored.color == color.lower()


@DB_EXAMPLES
@given(address=emails())
def test_valid_emails_round_trip(app: Container, address: str) -> None:
    known = {u.email for u in app.list_users()()}
    assume(address.lower() not in known)
    username = f"u{len(known)}"

    app.create_user()(CreateUserCommand(email=address, name="Someone", username=username))

    assert address.lower() in {u.email for u in app.list_users()()}


@DB_EXAMPLES
@given(slug=invalid_slugs() | st.just("ok"), color=invalid_colors())
def test_invalid_slugs_and_colours_store_nothing(app: Container, slug: str, color: str) -> None:
    before = app.list_tenants()()

    with pytest.raises(ValidationError):
        app.create_tenant()(CreateTenantCommand(slug=slug, name="Name", color=color))

    assert app.list_tenants()() == before
