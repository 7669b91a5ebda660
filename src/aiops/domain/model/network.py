"""Which network addresses aiops may reach on a tenant's behalf (tracker base URLs, git
remotes), as pure rules; the adapters resolve names and apply them to every address.

Link-local addresses (169.254.0.0/16, fe80::/10) and the cloud metadata services that answer
elsewhere are never reached; loopback and private ranges only where a setting allows it (a
self-hosted GitLab or Jira, a git server inside the company network).
"""

from __future__ import annotations

import ipaddress
import re

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LINK_LOCAL = tuple(ipaddress.ip_network(n) for n in ("169.254.0.0/16", "fe80::/10"))
# Metadata services outside the link-local ranges: Alibaba Cloud, AWS over IPv6.
METADATA = tuple(ipaddress.ip_network(n) for n in ("100.100.100.200/32", "fd00:ec2::254/128"))
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "::/128",
        "::1/128",
        "fc00::/7",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def embedded_ipv4(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d,
    NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::), which is where it really leads; else the
    address itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or 0xFFFF < int(address) <= 0xFFFFFFFF:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def never_reachable(address: Address) -> str | None:
    """Why no setting lets aiops reach `address` (link-local, cloud metadata), or None."""
    for candidate in {address, embedded_ipv4(address)}:
        if any(candidate in network for network in LINK_LOCAL):
            return f"{address} is a link-local address (cloud metadata)"
        if any(candidate in network for network in METADATA):
            return f"{address} is a cloud metadata address"
    return None


def refusal(address: Address, *, allow_private_networks: bool) -> str | None:
    """Why `address` may not be reached, or None."""
    reason = never_reachable(address)
    if reason is not None:
        return reason
    unwrapped = embedded_ipv4(address)
    if not allow_private_networks and any(
        candidate in network for candidate in {address, unwrapped} for network in PRIVATE
    ):
        return f"{address} is a loopback or private address (private networks are not allowed)"
    return None


def ip_literal(host: str) -> Address | None:
    """The address `host` spells, in any form a resolver accepts (IPv6; IPv4 as a.b.c.d, or
    with fewer parts, octal or hex: `2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`), or
    None when it is a name. A trailing dot is ignored, as resolvers do."""
    text = host.removesuffix(".")
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    *leading, last = [_ipv4_part(part) for part in parts]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_part(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        return int(part, 8)
    return int(part)


def looks_numeric(host: str) -> bool:
    """Whether a resolver would read `host` as an address rather than a name: its last label
    is digits (or 0x...), which no top-level domain is."""
    last = host.removesuffix(".").rsplit(".", 1)[-1]
    return bool(last) and (last.isdigit() or last.lower().startswith("0x"))
