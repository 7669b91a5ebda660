"""The network guard: link-local always refused, private networks only when allowed, on every
redirect hop; redirects and pages stay on the token's origin; endless loops are stopped."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from aiops.adapters.trackers import GitHubTracker
from aiops.adapters.trackers.guard import NetworkGuard, refusal
from aiops.domain.model.trackers import TrackerError
from aiops.ports.issue_tracker import TrackerTarget
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_github import FakeGitHub


@pytest.mark.parametrize(
    ("address", "private_allowed", "refused"),
    [
        ("169.254.169.254", True, "link-local"),
        ("::ffff:169.254.169.254", True, "link-local"),
        ("fe80::1", True, "link-local"),
        ("127.0.0.1", False, "loopback or private"),
        ("10.1.2.3", False, "loopback or private"),
        ("172.16.0.1", False, "loopback or private"),
        ("192.168.1.1", False, "loopback or private"),
        ("0.0.0.0", False, "loopback or private"),  # noqa: S104 (an address to refuse)
        ("::1", False, "loopback or private"),
        ("fd00::1", False, "loopback or private"),
        ("::ffff:10.0.0.1", False, "loopback or private"),
        ("127.0.0.1", True, None),
        ("10.1.2.3", True, None),
        ("140.82.112.6", False, None),
        ("2606:50c0::1", False, None),
    ],
)
def test_which_addresses_are_refused(
    address: str, private_allowed: bool, refused: str | None
) -> None:
    reason = refusal(ipaddress.ip_address(address), allow_private_networks=private_allowed)

    assert (reason is None) if refused is None else (refused in (reason or ""))


def test_a_public_name_that_resolves_to_the_metadata_address_is_refused() -> None:
    guard = NetworkGuard(
        allow_private_networks=True, resolve=lambda host, port: ["169.254.169.254"]
    )

    with pytest.raises(
        TrackerError, match=r"^api\.example\.com: refused, 169\.254\.169\.254 is a link-local"
    ):
        guard.check(httpx.URL("https://api.example.com/repos"))


def test_only_http_and_https_are_allowed() -> None:
    with pytest.raises(TrackerError, match="only http and https"):
        NetworkGuard(allow_private_networks=True).check(httpx.URL("ftp://127.0.0.1/x"))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_is_refused_unless_private_networks_are_allowed(
    github: FakeGitHub, target: TrackerTarget, host: str
) -> None:
    local = TrackerTarget(
        base_url=target.base_url.replace("127.0.0.1", host), key="acme/web", token=target.token
    )
    with (
        GitHubTracker(retry=FAST_RETRY) as tracker,
        pytest.raises(TrackerError, match=f"^{host}: refused, .* is a loopback"),
    ):
        tracker.check(local)
    assert github.requests == []

    with GitHubTracker(allow_private_networks=True, retry=FAST_RETRY) as tracker:
        assert tracker.check(local) == "acme/web: 0 open issues"


def named(target: TrackerTarget, host: str) -> TrackerTarget:
    """`target` reached through the name `host` instead of 127.0.0.1."""
    return TrackerTarget(
        base_url=target.base_url.replace("127.0.0.1", host), key=target.key, token=target.token
    )


def test_the_connection_goes_to_the_very_address_the_guard_checked(
    github: FakeGitHub, target: TrackerTarget
) -> None:
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.2", "127.0.0.1"]  # nothing listens on the first: the next is tried

    with GitHubTracker(allow_private_networks=True, retry=FAST_RETRY, resolver=resolver) as tracker:
        found = tracker.check(named(target, "tracker.test"))  # a name no real DNS knows

    assert found == "acme/web: 0 open issues"
    assert set(lookups) == {"tracker.test"}
    assert len(github.requests) == 1


def test_a_name_that_rebinds_to_a_private_address_after_the_check_never_gets_the_token(
    github: FakeGitHub, target: TrackerTarget
) -> None:
    """The first lookup answers a public address; every later one the loopback address where
    the fake listens (as the system's own lookup of "localhost" would). Connecting through a
    second lookup of our own would reach the fake with the token."""
    answers = iter([["203.0.113.5"]])

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers, ["127.0.0.1"])

    with (
        GitHubTracker(retry=FAST_RETRY, resolver=rebinding) as tracker,
        pytest.raises(TrackerError, match=r"^localhost: refused, 127\.0\.0\.1 is a loopback"),
    ):
        tracker.check(named(target, "localhost"))
    assert github.requests == []


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/latest/meta-data/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_out_of_bounds_is_refused_even_when_private_networks_are_allowed(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget, location: str
) -> None:
    github.redirect["/repos/acme/web"] = location

    with pytest.raises(TrackerError, match=r"link-local|only http and https"):
        tracker.check(target)
    assert len(github.requests) == 1


def test_a_redirect_on_the_same_origin_is_followed(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.redirect["/repos/acme/old-name"] = "/repos/acme/web"
    moved = TrackerTarget(base_url=target.base_url, key="acme/old-name", token=target.token)

    assert tracker.check(moved) == "acme/old-name: 0 open issues"
    assert [r.path for r in github.requests] == ["/repos/acme/old-name", "/repos/acme/web"]


def test_a_redirect_to_another_origin_never_carries_the_token(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    elsewhere = target.base_url.replace("127.0.0.1", "localhost")
    github.redirect["/repos/acme/web"] = f"{elsewhere}/repos/acme/web"

    with pytest.raises(TrackerError, match=r"^127\.0\.0\.1: refused a redirect to localhost"):
        tracker.check(target)
    assert len(github.requests) == 1


def test_a_redirect_loop_stops_after_five_hops(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.redirect["/repos/acme/web"] = "/repos/acme/web"

    with pytest.raises(TrackerError, match="more than 5 redirects"):
        tracker.check(target)
    assert len(github.requests) == 6


def test_a_next_page_that_repeats_is_stopped(
    github: FakeGitHub, tracker: GitHubTracker, target: TrackerTarget
) -> None:
    github.add_issue("acme/web")
    github.endless = "repeat"

    with pytest.raises(TrackerError, match="pagination loops"):
        tracker.changed_since(target, None, None)
    assert len(github.requests) == 2


def test_a_pagination_that_never_ends_is_stopped_at_the_page_limit(
    github: FakeGitHub, target: TrackerTarget
) -> None:
    github.endless = "grow"

    with (
        GitHubTracker(allow_private_networks=True, retry=FAST_RETRY, max_pages=5) as tracker,
        pytest.raises(TrackerError, match="more than 5 pages; stopped"),
    ):
        tracker.changed_since(target, None, None)
    assert len(github.requests) == 5
