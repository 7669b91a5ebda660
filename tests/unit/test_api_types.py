"""The API's constrained types are at most as permissive as the domain: whatever the OpenAPI
document calls valid, the domain's validator takes (so a schema-valid request is never
refused for its shape), and the documented limits hold."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.domain.model import automation, identities, validation
from aiops.domain.model.remotes import parse_remote
from aiops.domain.usecases.triage import _short
from aiops.entrypoints.http.api import types
from aiops.entrypoints.http.api._io import whole


def pattern(kind: Any) -> str:
    (meta,) = [arg for arg in get_args(kind)[1:] if getattr(arg, "pattern", None)]
    return str(meta.pattern)


def max_length(kind: Any) -> int:
    lengths = [arg.max_length for arg in get_args(kind)[1:] if getattr(arg, "max_length", None)]
    return int(min(lengths))


def values(kind: Any) -> st.SearchStrategy[str]:
    return st.from_regex(pattern(kind), fullmatch=True).filter(
        lambda value: len(value) <= max_length(kind)
    )


DOMAIN: list[tuple[Any, Callable[[str], object]]] = [
    (types.Email, validation.email),
    (types.RepoUrl, parse_remote),
    (types.Slug, validation.slug),
    (types.Branch, validation.branch),
    (types.Inventory, automation.inventory_name),
    (types.PlaybookName, automation.playbook_name),
    (types.HostLimit, automation.host_limit),
    (types.Tags, automation.run_tags),
    (types.IdentityName, identities.identity_name),
]


@pytest.mark.parametrize(("kind", "check"), DOMAIN, ids=lambda item: getattr(item, "__name__", ""))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_what_the_document_calls_valid_the_domain_takes(
    kind: Any, check: Callable[[str], object], data: st.DataObject
) -> None:
    value = data.draw(values(kind))
    check(value)  # raises ValidationError when the type is more permissive than the domain


@settings(max_examples=100, deadline=None)
@given(local=st.text(alphabet="abc.", min_size=1, max_size=80))
def test_an_email_local_part_over_64_characters_is_never_valid(local: str) -> None:
    address = f"{local}@example.com"
    documented = re.match(pattern(types.Email), address) is not None
    if documented:
        assert len(local) <= validation.EMAIL_LOCAL_MAX
        validation.email(address)


@settings(max_examples=100, deadline=None)
@given(text=st.from_regex(pattern(types.Printable), fullmatch=True).filter(lambda t: len(t) <= 100))
def test_printable_filter_text_is_taken_by_the_issue_search(text: str) -> None:
    assert _short(text, "label", 100) == (text.strip() or None)


@given(number=st.integers(min_value=-(2**53), max_value=2**53))
def test_a_whole_float_is_the_integer_json_schema_says_it_is(number: int) -> None:
    assert whole(float(number)) == number
    assert isinstance(whole(float(number)), int)


@given(value=st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()))
def test_a_fraction_and_other_values_are_left_as_sent(value: float) -> None:
    assert whole(value) == value
    assert whole("3") == "3"
    assert whole(True) is True
