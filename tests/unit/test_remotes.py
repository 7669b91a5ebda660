"""repo_url policy: every URL is for owners, for admins only, or invalid; no link-local or
cloud-metadata host in any spelling is ever allowed; an owner's new remote passes the network
check and clears the old remote's token and identity, an admin's does neither."""

from __future__ import annotations

import ipaddress

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiops.container import Container
from aiops.domain.errors import ValidationError
from aiops.domain.model import network
from aiops.domain.model.access import SYSTEM, Actor
from aiops.domain.model.projects import Project
from aiops.domain.model.remotes import Remote, RemoteRefused, RemoteUse, parse_remote
from aiops.domain.model.tenants import Role
from aiops.domain.usecases.identities import AddIdentityCommand
from aiops.domain.usecases.projects import (
    CreateProjectCommand,
    UpdateProjectCommand,
    check_remote,
    without_old_credentials,
)
from aiops.domain.usecases.tenants import CreateTenantCommand
from tests.fakes import FakeRemoteHosts, FakeUnitOfWork
from tests.strategies import public_key

SCHEMES = ["https", "ssh", "http", "git", "file", "ftp", "HTTPS", "git+ssh"]
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
names = st.builds(".".join, st.lists(labels, min_size=1, max_size=4)).filter(
    lambda name: not network.looks_numeric(name) and name not in network.METADATA_NAMES
)
forbidden = st.one_of(
    st.integers(0xA9FE0000, 0xA9FEFFFF).map(ipaddress.IPv4Address),  # 169.254.0.0/16
    st.integers(0xFE80 << 112, (0xFEBF << 112) | ((1 << 112) - 1)).map(ipaddress.IPv6Address),
    st.sampled_from(
        [ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")]
    ),
)


def spellings(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[str]:
    """Ways to write `address` that a resolver reads as it (URL-bracketing added later)."""
    if isinstance(address, ipaddress.IPv6Address):
        return [str(address), address.exploded]
    n = int(address)
    a, b, c, d = address.packed
    return [
        str(address),
        f"{address}.",
        str(n),
        hex(n),
        f"{a:#o}.{b:#o}.{c:#o}.{d:#o}".replace("0o", "0"),
        f"{a}.{b}.{(c << 8) | d}",
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{hex(a)}.{b}.{c}.{d}",
        f"[::ffff:{address}]",
        f"[::{address}]",
        f"[64:ff9b::{address}]",
        f"[2002:{a:02x}{b:02x}:{c:02x}{d:02x}::1]",
    ]


def url_with(host: str, form: str, port: str, user: str) -> str:
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if form == "scp":
        return f"{user or 'git'}@{host}:acme/web.git"
    userinfo = f"{user}@" if user else ""
    return f"{form}://{userinfo}{bracketed}{port}/acme/web.git"


forms = st.sampled_from(["https", "ssh", "scp", "http", "git"])
ports = st.sampled_from(["", ":22", ":443", ":8443"])
users = st.sampled_from(["", "git", "ivo", "x-token-auth"])


def classify(url: str) -> str:
    try:
        return parse_remote(url).use.value
    except ValidationError:
        return "invalid"


@given(
    text=st.one_of(
        st.text(max_size=80),
        st.builds("{}://{}".format, st.sampled_from(SCHEMES), st.text(max_size=40)),
        st.builds("{}@{}:{}".format, st.text(max_size=8), st.text(max_size=20), st.text(max_size=8)),
    )
)  # fmt: skip
def test_every_text_is_exactly_one_of_owners_admins_or_invalid(text: str) -> None:
    verdict = classify(text)  # and nothing else escapes: no crash on any input

    assert verdict in {"owners", "admins", "invalid"}
    if verdict != "invalid":
        remote = parse_remote(text)
        assert (remote.use is RemoteUse.OWNERS) == (remote.scheme in {"https", "ssh", "scp"})
        assert (remote.host is None) == remote.is_local
        assert not (remote.is_local and remote.use is RemoteUse.OWNERS)


@given(address=forbidden, form=forms, port=ports, user=users, data=st.data())
def test_no_url_whose_host_is_link_local_or_metadata_is_ever_allowed(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    form: str,
    port: str,
    user: str,
    data: st.DataObject,
) -> None:
    host = data.draw(st.sampled_from(spellings(address)))
    if form == "scp" and ":" in host:
        return  # scp-like syntax has no IPv6 form: invalid anyway, covered below

    assert classify(url_with(host, form, port, user)) == "invalid"


@given(name=st.sampled_from(sorted(network.METADATA_NAMES)), form=forms, port=ports)
def test_a_metadata_service_name_is_never_allowed(name: str, form: str, port: str) -> None:
    assert classify(url_with(name, form, port, "git")) == "invalid"
    assert classify(url_with(name.upper() + ".", form, port, "git")) == "invalid"


@given(host=names, form=st.sampled_from(["https", "ssh", "scp"]), port=ports, user=users)
def test_https_ssh_and_scp_like_remotes_on_a_name_are_for_owners(
    host: str, form: str, port: str, user: str
) -> None:
    remote = parse_remote(url_with(host, form, "" if form == "scp" else port, user))

    assert (remote.use, remote.host) == (RemoteUse.OWNERS, host)


@given(
    host=names,
    form=st.sampled_from(["http", "git"]),
    path=st.from_regex(r"/[a-z/]{1,20}", fullmatch=True),
)
def test_plain_text_transports_and_local_remotes_are_for_admins(
    host: str, form: str, path: str
) -> None:
    assert classify(f"{form}://{host}{path}") == "admins"
    assert classify(f"file://{path}") == "admins"
    assert classify(path) == "admins"


@pytest.mark.parametrize(
    "url",
    [
        "https://a@b@github.com/x",  # parsers disagree on which host this is
        "https://evil.example\\@github.com/x",
        "ssh://-oProxyCommand=touch%20x/y",
        "-oProxyCommand=x@host:y",
        "https://host:/x",
        "https://host:99999/x",
        "https://999.1.1.1/x",
        "https://[not-v6]/x",
        "https://exa%6dple.com/x",
        "git@[::1]:x",
    ],
)
def test_urls_git_or_curl_could_read_another_way_are_invalid(url: str) -> None:
    assert classify(url) == "invalid"


OWNER = Actor(name="olga@example.com", user_id=7, roles={1: Role.OWNER})


@pytest.mark.parametrize(
    ("url", "hosts", "refused"),
    [
        ("file:///srv/git/web.git", FakeRemoteHosts(), "for global admins only"),
        ("/srv/git/web.git", FakeRemoteHosts(), "a local path as a project's remote"),
        ("http://git.example.com/web.git", FakeRemoteHosts(), "a http:// URL"),
        ("https://10.0.0.5/web.git", FakeRemoteHosts(), "loopback or private"),
        ("git@127.0.0.1:web.git", FakeRemoteHosts(), "loopback or private"),
        ("https://git.example.com/web.git", FakeRemoteHosts(), "does not resolve"),
        (
            "https://git.example.com/web.git",
            FakeRemoteHosts({"git.example.com": ["169.254.169.254"]}, allow_private_networks=True),
            "link-local",
        ),
    ],
)
def test_an_owner_is_refused_what_only_an_admin_may_set(
    url: str, hosts: FakeRemoteHosts, refused: str
) -> None:
    with pytest.raises(RemoteRefused, match=refused):
        check_remote(url, OWNER, hosts)

    check_remote(url, SYSTEM, FakeRemoteHosts())  # an admin may: no network check


def test_private_hosts_are_for_owners_when_the_setting_allows_them() -> None:
    hosts = FakeRemoteHosts({"git.corp": ["10.1.2.3"]}, allow_private_networks=True)

    check_remote("https://git.corp/web.git", OWNER, hosts)
    check_remote("git@127.0.0.1:web.git", OWNER, hosts)

    assert hosts.asked == ["git.corp", "127.0.0.1"]


def test_an_invalid_remote_is_refused_for_admins_too() -> None:
    with pytest.raises(ValidationError, match="link-local"):
        check_remote("https://169.254.169.254/latest/meta-data", SYSTEM, FakeRemoteHosts())


project_urls = st.none() | st.sampled_from(["https://a.example/x.git", "git@b.example:y.git"])


@given(
    before_url=project_urls,
    after_url=project_urls,
    token=st.none() | st.just("sealed:old"),
    identity=st.none() | st.just(4),
    new_token=st.booleans(),
    admin=st.booleans(),
)
def test_only_a_non_admins_new_remote_clears_the_old_remotes_credentials(
    before_url: str | None,
    after_url: str | None,
    token: str | None,
    identity: int | None,
    new_token: bool,
    admin: bool,
) -> None:
    before = Project(
        tenant_id=1,
        slug="web",
        name="Web",
        repo_url=before_url,
        https_token_sealed=token,
        identity_id=identity,
    )
    given_token = "sealed:new" if new_token else token
    after = attrs.evolve(before, repo_url=after_url, https_token_sealed=given_token)

    saved, cleared = without_old_credentials(
        before, after, SYSTEM if admin else OWNER, new_token=new_token
    )

    repointed = not admin and after_url is not None and after_url != before_url
    assert set(cleared) <= {"https_token", "identity"}
    assert ("https_token" in cleared) == (repointed and token is not None and not new_token)
    assert ("identity" in cleared) == (repointed and identity is not None)
    assert saved.identity_id == (None if repointed else identity)
    assert saved.https_token_sealed == (given_token if new_token or not repointed else None)


@pytest.fixture
def web(app: Container) -> int:
    """acme/web on https://git.example.com with an https token and an SSH identity, both given
    by an admin."""
    tenant = app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
    identity = app.add_identity()(AddIdentityCommand(name="deploy", public_key=public_key()))
    project = app.create_project()(
        CreateProjectCommand(
            tenant="acme",
            slug="web",
            name="Web",
            repo_url="https://git.example.com/acme/web.git",
            https_token="ghp_admins_token",
            identity_id=identity.id,
        )
    )
    assert project.id is not None
    assert tenant.id == 1
    return project.id


def test_an_owners_repoint_clears_the_token_and_identity_and_the_audit_says_so(
    app: Container, uow: FakeUnitOfWork, web: int
) -> None:
    update = app.update_project()(
        UpdateProjectCommand(
            project_id=web, repo_url="git@git.example.com:olga/web.git", actor=OWNER
        )
    )

    stored = uow.committed.projects[web]
    assert update.cleared == ("https_token", "identity")
    assert (stored.https_token_sealed, stored.identity_id) == (None, None)
    event = uow.committed.audit[-1]
    assert (event.action, event.actor) == ("project.updated", OWNER.name)
    assert event.detail["cleared"] == "https_token,identity"
    assert event.detail["https_token"] == "cleared"


def test_an_admins_repoint_keeps_the_token_and_identity(
    app: Container, uow: FakeUnitOfWork, web: int
) -> None:
    before = uow.committed.projects[web]

    update = app.update_project()(
        UpdateProjectCommand(project_id=web, repo_url="https://git.example.com/acme/web2.git")
    )

    assert update.cleared == ()
    assert update.project.https_token_sealed == before.https_token_sealed
    assert update.project.identity_id == before.identity_id
    assert "cleared" not in uow.committed.audit[-1].detail


def test_an_owner_who_keeps_the_remote_keeps_its_credentials(
    app: Container, uow: FakeUnitOfWork, web: int
) -> None:
    before = uow.committed.projects[web]

    update = app.update_project()(
        UpdateProjectCommand(
            project_id=web,
            name="Website",
            repo_url="https://git.example.com/acme/web.git",
            actor=OWNER,
        )
    )

    assert update.cleared == ()
    assert update.project == attrs.evolve(before, name="Website")


def test_an_owner_refused_a_file_remote_changes_nothing(
    app: Container, uow: FakeUnitOfWork, web: int
) -> None:
    before = uow.committed.copy()

    with pytest.raises(RemoteRefused):
        app.update_project()(
            UpdateProjectCommand(project_id=web, repo_url="file:///etc", actor=OWNER)
        )
    with pytest.raises(RemoteRefused):
        app.create_project()(
            CreateProjectCommand(
                tenant="acme", slug="api", name="API", repo_url="/srv/git/x", actor=OWNER
            )
        )

    assert uow.committed == before


def test_remote_is_a_value() -> None:
    assert parse_remote(" git@GitHub.com:a/b.git ") == Remote(
        url="git@GitHub.com:a/b.git", scheme="scp", host="github.com"
    )
