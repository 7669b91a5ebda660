"""A fake of the remote host check (ports/remote_hosts.py)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from aiops.domain.model import network


class FakeRemoteHosts:
    """Names resolve from `names` (host -> addresses), an address literal to itself, anything
    else not at all; the addresses are judged by the same rules as DnsRemoteHosts. `asked`
    records every host checked."""

    def __init__(
        self,
        names: Mapping[str, Sequence[str]] | None = None,
        *,
        allow_private_networks: bool = False,
    ) -> None:
        self.names = dict(names or {})
        self.allow_private_networks = allow_private_networks
        self.asked: list[str] = []

    def refusal(self, host: str) -> str | None:
        self.asked.append(host)
        literal = network.ip_literal(host)
        addresses = [str(literal)] if literal else list(self.names.get(host, ()))
        if not addresses:
            return f"{host} does not resolve"
        for text in addresses:
            reason = network.refusal(
                ipaddress.ip_address(text), allow_private_networks=self.allow_private_networks
            )
            if reason is not None:
                return f"{host} is refused: {reason}"
        return None
