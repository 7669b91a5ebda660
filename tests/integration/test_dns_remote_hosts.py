"""DnsRemoteHosts against the system resolver (localhost, address literals, a reserved name that
never resolves) and against a resolver that answers with the metadata address."""

from __future__ import annotations

import pytest

from aiops.adapters.dns_remote_hosts import DnsRemoteHosts


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "10.0.0.5", "0x7f000001"])
def test_loopback_and_private_hosts_are_refused_unless_allowed(host: str) -> None:
    refused = DnsRemoteHosts(allow_private_networks=False).refusal(host)

    assert refused is not None
    assert "loopback or private" in refused
    assert DnsRemoteHosts(allow_private_networks=True).refusal(host) is None


def test_a_public_address_is_allowed() -> None:
    assert DnsRemoteHosts(allow_private_networks=False).refusal("203.0.113.7") is None


@pytest.mark.parametrize("allowed", [False, True])
def test_a_name_resolving_to_the_metadata_service_is_always_refused(allowed: bool) -> None:
    hosts = DnsRemoteHosts(
        allow_private_networks=allowed, resolve=lambda host: ["203.0.113.7", "169.254.169.254"]
    )

    assert hosts.refusal("git.example.com") == (
        "git.example.com is refused: 169.254.169.254 is a link-local address (cloud metadata)"
    )


def test_a_name_that_does_not_resolve_is_refused_saying_so() -> None:
    hosts = DnsRemoteHosts(allow_private_networks=True)

    assert hosts.refusal("no-such-host.invalid") == "no-such-host.invalid does not resolve"
