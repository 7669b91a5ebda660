"""The API's constrained types, each written once: the input and output classes use them, the
boundary checks them (api/_io.py) and the OpenAPI document publishes them (api/openapi.py).

The patterns come from the domain's validation, which still decides; a constraint here is at
most as permissive as the domain, so what the document calls valid the domain accepts (the
few rules JSON Schema cannot say are listed in docs/adr/0015-api-schemas-from-classes.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from aiops.domain.model import automation, identities, network, projects
from aiops.domain.model.validation import (
    COLOR_PATTERN,
    EMAIL_LOCAL_MAX,
    HTTPS_TOKEN_MAX,
    REPO_URL_MAX,
    SLUG_MAX,
    SLUG_PATTERN,
    USERNAME_PATTERN,
)

DB_ID_MAX = 2**31 - 1  # PostgreSQL's integer
_EMAIL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # never all digits
# No control character anywhere, and one character that is neither space nor control.
_VISIBLE = r"[^\x00-\x1f\x7f-\x9f]"
_SHOWN = r"[^\s\x00-\x1f\x7f-\x9f]"
# A branch as git and the domain take it, a little stricter: dot-separated words of letters,
# digits and _+=,- joined by "/", never starting with "-".
_CHAR = r"[A-Za-z0-9_+=,-]"
_FIRST_WORD = rf"[A-Za-z0-9_+=,]{_CHAR}*(?:\.{_CHAR}+)*"
_WORD = rf"{_CHAR}+(?:\.{_CHAR}+)*"
# A git remote as domain/model/remotes.py takes it (see _remote below).
_URL_CHAR = r"[^\s\x00-\x1f\x7f]"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"


def _any_case(name: str) -> str:
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else "\\." if c == "." else c for c in name
    )


def _host(edge: str, inner: str) -> str:
    """A host name: labels of `inner` characters with `edge` ones at both ends, the last
    starting with a letter (else a resolver reads it as a number), never a cloud metadata
    service's name, up to 253 characters; or a dotted IPv4 address that is not link-local or
    a metadata service's."""
    label = f"{edge}(?:{inner}{{0,61}}{edge})?"
    top = f"[A-Za-z](?:{inner}{{0,61}}{edge})?"
    metadata = "|".join(_any_case(name) for name in sorted(network.METADATA_NAMES))
    name = rf"(?![^/:?#]{{254}})(?!(?:{metadata})(?![A-Za-z0-9_.-]))(?:{label}\.)*{top}"
    address = rf"(?!169\.254\.|100\.100\.100\.200(?![0-9])){_OCTET}(?:\.{_OCTET}){{3}}"
    return f"(?:{name}|{address})"


# An IPv6 literal in brackets: [::1], or all eight groups, the first not zero (so no IPv4
# rides inside it, mapped or compatible) and not link-local (fe80::/10), 6to4 (2002::/16),
# NAT64 (64:ff9b::/96) or AWS's metadata (fd00:ec2::254).
_IPV6 = (
    r"\[(?:::1|(?![fF][eE][89aAbB][0-9a-fA-F]:|2002:|64:[fF][fF]9[bB]:|[fF][dD]00:0{0,2}[eE][cC]2:)"
    r"[1-9a-fA-F][0-9a-fA-F]{0,3}(?::[0-9a-fA-F]{1,4}){7})\]"
)


def _remote() -> str:
    """https/http/ssh/git://[user@]host[:port][path], file://path, user@host:path (no ':' in
    the path: it would read as a URL) or an absolute path; never a control character. A few
    spellings the domain takes are left out (other IPv6 forms, numeric IPv4 spellings):
    stricter than the domain, never looser."""
    url_host = _host("[A-Za-z0-9_]", "[A-Za-z0-9_-]")
    scp_host = _host("[A-Za-z0-9]", "[A-Za-z0-9-]")
    port = r"(?::[1-9][0-9]{0,3})?"
    authority = rf"(?:[A-Za-z0-9._~-]+@)?(?:{url_host}|{_IPV6}){port}"
    url = rf"(?:https|http|ssh|git)://{authority}(?:[/?#]{_URL_CHAR}*)?"
    scp = rf"[A-Za-z0-9._][A-Za-z0-9._-]*@{scp_host}:[^\s\x00-\x1f\x7f:]+"
    return rf"(?:{url}|file://{_URL_CHAR}+|{scp}|/{_URL_CHAR}*)"


_TAG = rf"(?!-){automation.TAG_PATTERN}"


def _whole(pattern: str) -> str:
    return f"^{pattern}$"


Id = Annotated[int, Meta(ge=1, le=DB_ID_MAX, description="an id")]
Count = Annotated[int, Meta(ge=0)]
CloneDepth = Annotated[
    int,
    Meta(
        ge=0,
        le=projects.CLONE_DEPTH_MAX,
        description="how many commits of each branch a new clone takes (0: the full history)",
    ),
]
Slug = Annotated[
    str,
    Meta(
        pattern=_whole(SLUG_PATTERN),
        min_length=1,
        max_length=SLUG_MAX,
        description=f"a valid slug: use 1-{SLUG_MAX} lowercase letters, digits and single "
        "hyphens, starting and ending with a letter or digit (e.g. 'acme-web')",
    ),
]
Color = Annotated[
    str,
    Meta(pattern=_whole(COLOR_PATTERN), description="a colour: use #RRGGBB hex, e.g. '#3b82f6'"),
]
Name = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        pattern=_whole(f"{_VISIBLE}*{_SHOWN}{_VISIBLE}*"),
        description="a name: 1-200 characters, not blank, no control characters",
    ),
]
Email = Annotated[
    str,
    Meta(
        max_length=254,
        # the lookahead: never more than 64 characters before the "@" (RFC 5321's local part)
        pattern=_whole(
            rf"(?![^@]{{{EMAIL_LOCAL_MAX + 1}}}){_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*@"
            rf"(?:{_LABEL}\.)+{_TOP_LABEL}"
        ),
        description="a valid email address (expected name@example.com)",
    ),
]
Username = Annotated[
    str,
    Meta(
        pattern=_whole(USERNAME_PATTERN),
        description="a valid username: up to 32 lowercase letters, digits, '_' or '-', "
        "starting with a letter or '_'",
    ),
]
Branch = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=255,
        pattern=_whole(f"{_FIRST_WORD}(?:/{_WORD})*"),
        description="a valid git branch name (e.g. 'main' or 'feature/login')",
    ),
]
HttpsToken = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=HTTPS_TOKEN_MAX,
        pattern="^[!-~]+$",
        description="the git remote's https token (sent as basic auth); stored encrypted, "
        "never returned",
        extra_json_schema={"writeOnly": True},
    ),
]
PlaybookName = Annotated[
    str,
    Meta(
        pattern=_whole(automation.NAME_PATTERN),
        min_length=1,
        max_length=automation.NAME_MAX,
        description=f"a valid playbook name: use 1-{automation.NAME_MAX} lowercase letters, "
        "digits, '_' or '-', starting with a letter or digit (e.g. 'ping')",
    ),
]
Inventory = Annotated[
    str,
    Meta(
        pattern=_whole(automation.NAME_PATTERN),
        min_length=1,
        max_length=automation.NAME_MAX,
        description=f"a valid inventory name: use 1-{automation.NAME_MAX} lowercase letters, "
        "digits, '_' or '-', starting with a letter or digit (e.g. 'localhost')",
    ),
]
HostLimit = Annotated[
    str,
    Meta(
        pattern=_whole(rf"(?!-){automation.LIMIT_PATTERN}"),
        max_length=512,
        description="a host pattern: use host and group names joined with ',', '&' or '!' "
        "(e.g. 'web,&prod')",
    ),
]
Tags = Annotated[
    str,
    Meta(
        pattern=_whole(f"{_TAG}(?:,{_TAG})*"),
        max_length=512,
        description="a list of tags: use names joined with ',' (e.g. 'a,b')",
    ),
]
IdentityName = Annotated[
    str,
    Meta(
        pattern=_whole(rf"(?!.*\.\.){identities.NAME_PATTERN}"),
        max_length=identities.NAME_MAX,
        description=f"a valid identity name: use 1-{identities.NAME_MAX} lowercase letters, "
        "digits, '.', '_' or '-', starting and ending with a letter or digit (e.g. 'deploy')",
    ),
]
RepoUrl = Annotated[
    str,
    Meta(
        pattern=_whole(_remote()),
        max_length=REPO_URL_MAX,
        description="a git remote: use https://, ssh://, git://, file://, user@host:path or an "
        "absolute path, on a host that is not link-local or a cloud metadata service",
    ),
]
Text = Annotated[str, Meta(pattern=r"^[^\x00]*$", description="text without NUL characters")]
# Filter text as the domain takes it: no control character (it would refuse one).
Printable = Annotated[
    str, Meta(pattern=r"^[^\x00-\x1f\x7f]*$", description="text without control characters")
]
Moment = Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]

# Agent events (issue 18): what a session's hook command sends (entrypoints/http/agent_events.py)
HookTool = Annotated[
    str, Meta(pattern="^(claude|codex|gemini)$", description="the tool: claude, codex or gemini")
]
EventName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=_whole(f"{_SHOWN}+"),
        description="the tool's event name, e.g. Notification or agent-turn-complete",
    ),
]
EventId = Annotated[
    str, Meta(pattern="^[0-9a-f]{32}$", description="32 lowercase hexadecimal digits")
]
SentAt = Annotated[
    datetime,
    Meta(tz=True, extra_json_schema={"format": "date-time"}, description="an ISO 8601 time"),
]
DetailText = Annotated[str, Meta(max_length=500)]
Detail = Annotated[
    dict[Annotated[str, Meta(max_length=64)], DetailText | int | float | bool | None],
    Meta(max_length=20, description="a few fields of the tool's payload"),
]
