"""Hypothesis strategies for the domain's names, shared by unit and integration tests."""

from __future__ import annotations

from hypothesis import strategies as st

from aiops.domain.model.validation import SLUG_MAX

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


@st.composite
def slugs(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.text(_ALNUM, min_size=1, max_size=12), min_size=1, max_size=5))
    return "-".join(parts)[:SLUG_MAX].strip("-")


def invalid_slugs() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        slugs().map(lambda s: "-" + s),
        slugs().map(lambda s: s + "-"),
        slugs().map(lambda s: s + "--x"),
        slugs().map(lambda s: s.upper() + "A"),
        st.text(_ALNUM, min_size=SLUG_MAX + 1, max_size=SLUG_MAX + 20),
        st.tuples(slugs(), st.sampled_from(" _./\\:\x00é\u0430")).map("".join),
    )


def colors() -> st.SearchStrategy[str]:
    return st.text("0123456789abcdefABCDEF", min_size=6, max_size=6).map(lambda h: "#" + h)


def invalid_colors() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=10).filter(
            lambda s: (
                not (
                    len(s) == 7
                    and s[0] == "#"
                    and all(c in "0123456789abcdefABCDEF" for c in s[1:])
                )
            )
        ),
        colors().map(lambda c: c[1:]),
        colors().map(lambda c: c + "0"),
    )


_LOCAL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=15)


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = ".".join(
        draw(st.lists(st.text(_LOCAL, min_size=1, max_size=10), min_size=1, max_size=3))
    )
    labels = draw(st.lists(_LABEL, min_size=1, max_size=3))
    tld = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6))
    return f"{local[:64]}@{'.'.join([*labels, tld])}"


def public_key(key_type: str = "ssh-ed25519", key: bytes = b"k" * 32, comment: str = "") -> str:
    """An OpenSSH public key line whose blob starts with its length-prefixed type."""
    import base64

    def field(data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + data

    blob = field(key_type.encode()) + field(key)
    return f"{key_type} {base64.b64encode(blob).decode()} {comment}".rstrip()


def public_keys() -> st.SearchStrategy[str]:
    from aiops.domain.model.identities import KEY_TYPES

    return st.builds(
        public_key,
        st.sampled_from(KEY_TYPES),
        st.binary(min_size=1, max_size=600),
        st.text("abcdefghijklmnopqrstuvwxyz0123456789@.- ", max_size=40),
    )
