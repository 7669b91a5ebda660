"""RemoteHosts by resolving the name (getaddrinfo, as git would) and applying the network
rules the tracker guard applies (domain/model/network.py) to every address."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from aiops.domain.model import network

Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to; [] when it does not."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


class DnsRemoteHosts:
    def __init__(self, *, allow_private_networks: bool, resolve: Resolver = resolve) -> None:
        self._allow_private = allow_private_networks
        self._resolve = resolve

    def refusal(self, host: str) -> str | None:
        addresses = self._resolve(host)
        if not addresses:
            return f"{host} does not resolve"
        for text in addresses:
            try:
                address = ipaddress.ip_address(text.partition("%")[0])
            except ValueError:
                return f"{host} resolves to {text[:60]!r}, not an address"
            reason = network.refusal(address, allow_private_networks=self._allow_private)
            if reason is not None:
                return f"{host} is refused: {reason}"
        return None
