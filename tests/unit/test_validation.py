"""Property tests of the domain's validation rules (the DB round trip is in integration)."""

from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from aiops.domain.errors import ValidationError
from aiops.domain.model import validation
from tests.strategies import colors, emails, invalid_colors, invalid_slugs, slugs


@given(slugs())
def test_valid_slugs_are_accepted_unchanged(slug: str) -> None:
    assert validation.slug(slug) == slug


@given(invalid_slugs())
def test_invalid_slugs_raise_the_domain_error(slug: str) -> None:
    with pytest.raises(ValidationError, match="not a valid slug"):
        validation.slug(slug)


@given(colors())
def test_valid_colours_normalise_to_lower_case(color: str) -> None:
    assert validation.color(color) == color.lower()


@given(invalid_colors())
def test_invalid_colours_raise_the_domain_error(color: str) -> None:
    with pytest.raises(ValidationError, match="#RRGGBB"):
        validation.color(color)


@given(emails())
def test_valid_emails_normalise_to_lower_case(address: str) -> None:
    assert validation.email(address) == address.lower()


@given(st.text(max_size=80))
def test_arbitrary_text_is_an_email_only_with_one_at_and_a_dotted_domain(text: str) -> None:
    try:
        normalised = validation.email(text)
    except ValidationError:
        return
    local, _, domain = normalised.rpartition("@")
    assert local
    assert "." in domain
    assert not any(ch.isspace() for ch in normalised)


@given(st.emails())
def test_username_from_any_email_is_a_valid_username(address: str) -> None:
    assert validation.username(validation.username_from_email(address))


@given(st.text(max_size=300))
def test_display_names_are_trimmed_single_spaced_and_printable(text: str) -> None:
    try:
        name = validation.display_name(text)
    except ValidationError:
        return
    assert name == name.strip()
    assert "  " not in name
    assert 0 < len(name) <= 200


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/web.git",
        "ssh://git@host:2222/acme/web.git",
        "git@github.com:acme/web.git",
        "file:///srv/git/web.git",
        "/srv/git/web.git",
    ],
)
def test_repo_url_accepts_git_remotes(url: str) -> None:
    assert validation.repo_url(url) == url


@pytest.mark.parametrize(
    "url", ["-uhack", "--upload-pack=touch /tmp/x", "ftp://h/x", "relative/path", "https://", ""]
)
def test_repo_url_refuses_what_git_would_misread(url: str) -> None:
    with pytest.raises(ValidationError, match="not a git remote"):
        validation.repo_url(url)


_BRANCH_CHARS = st.characters(codec="ascii", exclude_categories=("Cc",)) | st.sampled_from("/.-@{")


@given(st.text(_BRANCH_CHARS, min_size=1, max_size=20))
def test_branch_rule_agrees_with_git_check_ref_format(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    assume(not name.startswith("-"))  # git would read it as an option; we refuse it anyway
    assume(name != "@")  # --branch reads a lone "@" as HEAD; as a name, git's rule 9 forbids it
    git = subprocess.run(
        ["git", "check-ref-format", "--branch", name],
        capture_output=True,
        check=False,
        cwd=tmp_path_factory.getbasetemp(),  # outside any repository: no @{-1} expansion
    )
    try:
        validation.branch(name)
        ours = True
    except ValidationError:
        ours = False
    assert ours == (git.returncode == 0), (name, git.stderr)


def test_branch_starting_with_a_dash_is_refused() -> None:
    with pytest.raises(ValidationError):
        validation.branch("-delete")


def test_slug_pattern_is_anchored() -> None:
    assert not re.search(r"\s", validation.slug("a-b-c"))
