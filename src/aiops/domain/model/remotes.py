"""A project's git remote, classified: who may point a project at it.

Every URL is exactly one of:
- for owners: `https://`, `ssh://` and scp-like `user@host:path`, which anyone who manages the
  project may set, once the host passes the network check (the RemoteHosts port: it must not
  resolve to link-local, cloud-metadata or, unless allowed, loopback and private addresses);
- for admins only: a local path, `file://`, `http://` and `git://` (a path reads the server's
  own disk; the others send what they fetch in the clear);
- invalid: not a git remote at all, or a host that is a link-local or cloud-metadata address
  (in any spelling a resolver accepts) or a metadata service's name. Nobody sets those.
"""

from __future__ import annotations

import enum
import re

import attrs

from aiops.domain.errors import PermissionDenied, ValidationError
from aiops.domain.model import network, validation


class RemoteUse(enum.StrEnum):
    OWNERS = "owners"
    ADMINS = "admins"


class RemoteRefused(PermissionDenied):
    """The actor may not point a project at this remote (an admin may)."""

    code = "remote_refused"


@attrs.frozen
class Remote:
    url: str
    scheme: str  # https, ssh, scp (user@host:path), http, git, file, path
    host: str | None  # lower case, without brackets; None for a local remote

    @property
    def use(self) -> RemoteUse:
        return RemoteUse.OWNERS if self.scheme in OWNER_SCHEMES else RemoteUse.ADMINS

    @property
    def is_local(self) -> bool:
        return self.scheme in ("file", "path")


OWNER_SCHEMES = frozenset({"https", "ssh", "scp"})
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_SCP = re.compile(r"(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>\S+)")
_AUTHORITY_END = re.compile(r"[/?#]")


def parse_remote(value: str) -> Remote:
    """The remote `value` names; ValidationError when it is invalid (see the module)."""
    url = validation.repo_url(value)
    if url.startswith("/"):
        return Remote(url=url, scheme="path", host=None)
    scheme, separator, rest = url.partition("://")
    if not separator:
        found = _SCP.fullmatch(url)
        assert found is not None  # validation.repo_url allows nothing else
        if found["user"].startswith("-"):
            raise _invalid(url, "the user name starts with '-'")
        return Remote(url=url, scheme="scp", host=_host(found["host"], url))
    if scheme == "file":
        return Remote(url=url, scheme="file", host=None)
    authority = _AUTHORITY_END.split(rest, maxsplit=1)[0]
    if authority.count("@") > 1 or "\\" in authority:
        # Parsers disagree on these; git's might reach a host other than the one checked.
        raise _invalid(url, "the part before the path has two '@' or a backslash")
    host_port = authority.rpartition("@")[2]
    if host_port.startswith("["):
        literal, bracket, port = host_port[1:].partition("]")
        if not bracket or network.ip_literal(literal) is None or ":" not in literal:
            raise _invalid(url, f"{host_port[:60]!r} is not an IPv6 address in brackets")
        host = _host(literal, url)
        port = port.removeprefix(":") if port.startswith(":") else port
    else:
        name, _, port = host_port.partition(":")
        host = _host(name, url)
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise _invalid(url, f"{port[:20]!r} is not a port")
    if port == "" and host_port.endswith(":"):
        raise _invalid(url, "the port is empty")
    return Remote(url=url, scheme=scheme, host=host)


def _host(text: str, url: str) -> str:
    """The host, lower case; invalid when it is not a name or an address, or is one no one
    may reach (link-local, cloud metadata)."""
    host = text.lower()
    address = network.ip_literal(host)
    if address is None:
        labels = host.removesuffix(".").split(".")
        if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            raise _invalid(url, f"{text[:60]!r} is not a host name")
        if network.looks_numeric(host):
            raise _invalid(url, f"{text[:60]!r} is not an address")
        if host.removesuffix(".") in network.METADATA_NAMES:
            raise _invalid(url, f"{host} is a cloud metadata service")
        return host
    reason = network.never_reachable(address)
    if reason is not None:
        raise _invalid(url, reason)
    return host


def _invalid(url: str, why: str) -> ValidationError:
    return ValidationError("repo_url", f"{url[:80]!r} is not a remote anyone may use: {why}")


def refusal_for_owners(remote: Remote) -> str | None:
    """Why someone who is not a global admin may not set this remote (before the network check
    of its host), or None."""
    if remote.use is RemoteUse.OWNERS:
        return None
    kind = "a local path" if remote.scheme == "path" else f"a {remote.scheme}:// URL"
    return (
        f"{kind} as a project's remote is for global admins only: use https://, ssh:// "
        "or user@host:path"
    )
