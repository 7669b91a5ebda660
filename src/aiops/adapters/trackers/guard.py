"""The network guard: which hosts a tracker adapter may reach with a token.

Only http and https. Link-local addresses (169.254.0.0/16 and fe80::/10, where cloud metadata
services answer) and the other cloud metadata addresses are always refused; loopback and
private ranges unless the adapter allows private networks (a GitHub Enterprise or GitLab inside
the company network). The address rules are the domain's (domain/model/network.py): git
remotes follow them too. Checked on every
request and every redirect hop, against every address the host resolves to, and checked again
where it matters: GuardedBackend opens each connection to exactly the addresses it has just
checked, so a name that resolves to a public address for the check and to 169.254.169.254 for
the connection (DNS rebinding) never gets the token.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

import attrs
import httpcore
import httpx

from aiops.domain.model.network import LINK_LOCAL, PRIVATE, Address, refusal
from aiops.domain.model.trackers import TrackerError, TrackerUnreachable

Resolver = Callable[[str, int], list[str]]
__all__ = [
    "LINK_LOCAL",
    "PRIVATE",
    "Address",
    "GuardedBackend",
    "NetworkGuard",
    "Resolver",
    "refusal",
    "resolve",
]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself, without a lookup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TrackerUnreachable(f"{host}: the name does not resolve") from None
    return [str(info[4][0]) for info in infos]


@attrs.frozen(kw_only=True)
class NetworkGuard:
    allow_private_networks: bool = False
    resolve: Resolver = resolve

    def check(self, url: httpx.URL) -> None:
        host = url.host
        if url.scheme not in ("http", "https"):
            raise TrackerError(f"{host or url.scheme}: only http and https URLs are allowed")
        if not host:
            raise TrackerError("the tracker URL has no host")
        self.addresses(host, url.port or (443 if url.scheme == "https" else 80))

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address `host` resolves to, once each, if the guard allows them all."""
        allowed: list[str] = []
        for text in self.resolve(host, port):
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                raise TrackerError(f"{host}: resolves to {text!r}, not an address") from None
            reason = refusal(address, allow_private_networks=self.allow_private_networks)
            if reason:
                raise TrackerError(f"{host}: refused, {reason}")
            if text not in allowed:
                allowed.append(text)
        return allowed


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses the guard has just allowed (in
    the resolver's order, the next one when a connection fails). TLS still verifies the host's
    name: httpcore hands it to the handshake, not the address."""

    def __init__(self, guard: NetworkGuard) -> None:
        self._guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in self._guard.addresses(host, port):
            try:
                return super().connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # addresses() returned at least one, or raised
        raise failure
