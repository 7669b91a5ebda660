"""Webhook signatures (GitHub's published test vector included) and ReceiveWebhook against
the fakes: accepted once, duplicates, and one indistinct refusal for every bad delivery."""

from __future__ import annotations

import hashlib
import hmac

import attrs
import pytest

from aiops import bootstrap
from aiops.container import Container
from aiops.domain.errors import AuthenticationFailed
from aiops.domain.model.trackers import Provider
from aiops.domain.model.webhooks import (
    SCHEMES,
    WebhookOutcome,
    WebhookRejected,
    delivery_id,
    github_signature_valid,
    gitlab_token_valid,
    jira_signature_valid,
)
from aiops.domain.usecases.audit import ListAuditEvents
from aiops.domain.usecases.projects import CreateProjectCommand
from aiops.domain.usecases.tenants import CreateTenantCommand
from aiops.domain.usecases.trackers import AddTrackerCommand
from aiops.domain.usecases.webhooks import ReceiveWebhookCommand
from aiops.ports.unit_of_work import AuditQuery
from tests.fakes import FakeClock, FakeSecretBox, FakeUnitOfWork

# https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
VECTOR_SECRET = b"It's a Secret to Everybody"
VECTOR_BODY = b"Hello, World!"
VECTOR_HEADER = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
SECRET = "hook-secret-9c1e4f"
BODY = b'{"action": "opened", "issue": {"number": 1}}'


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_github_published_test_vector_passes() -> None:
    assert github_signature_valid(VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADER)
    upper_hex = "sha256=" + VECTOR_HEADER.removeprefix("sha256=").upper()
    assert github_signature_valid(VECTOR_SECRET, VECTOR_BODY, upper_hex)


@pytest.mark.parametrize("valid", [github_signature_valid, jira_signature_valid])
def test_hmac_signatures_refuse_a_wrong_secret_an_altered_body_and_bad_headers(
    valid: object,
) -> None:
    assert callable(valid)
    assert valid(VECTOR_SECRET, VECTOR_BODY, VECTOR_HEADER)
    assert not valid(b"another secret", VECTOR_BODY, VECTOR_HEADER)
    assert not valid(VECTOR_SECRET, VECTOR_BODY + b" ", VECTOR_HEADER)
    assert not valid(VECTOR_SECRET, VECTOR_BODY, None)
    assert not valid(VECTOR_SECRET, VECTOR_BODY, "")
    for malformed in (
        VECTOR_HEADER.removeprefix("sha256="),  # no algorithm
        "sha1=" + VECTOR_HEADER.removeprefix("sha256="),
        VECTOR_HEADER[:-1],  # too short
        VECTOR_HEADER + "0",  # too long
        VECTOR_HEADER[:-1] + "g",  # not hex
        "sha256=" + "é" * 64,  # not ASCII
    ):
        assert not valid(VECTOR_SECRET, VECTOR_BODY, malformed), malformed


def test_gitlab_token_must_equal_the_secret() -> None:
    assert gitlab_token_valid(b"s3cret", "s3cret")
    assert not gitlab_token_valid(b"s3cret", "s3cret ")
    assert not gitlab_token_valid(b"s3cret", "S3CRET")
    assert not gitlab_token_valid(b"s3cret", None)
    assert not gitlab_token_valid(b"s3cret", "")
    assert not gitlab_token_valid(b"", "")
    assert not gitlab_token_valid(b"s3cret", "s3cr\u00e9t")


def test_delivery_id_is_the_header_or_a_digest_of_the_body() -> None:
    assert delivery_id("72d3162e-cc78-11e3-81ab-4c9367dc0958", BODY) == (
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    )
    digest = "sha256:" + hashlib.sha256(BODY).hexdigest()
    assert delivery_id(None, BODY) == digest
    assert delivery_id("x" * 101, BODY) == digest
    assert delivery_id("line\nbreak", BODY) == digest


class World:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FakeClock()
        self.app: Container = bootstrap(uow=self.uow, clock=self.clock, secret_box=FakeSecretBox())
        self.app.create_tenant()(CreateTenantCommand(slug="acme", name="Acme"))
        project = self.app.create_project()(
            CreateProjectCommand(tenant="acme", slug="web", name="Web")
        )
        assert project.id is not None
        self.project_id = project.id
        self.github = self.add("github", "acme/web", SECRET)

    def add(self, provider: str, key: str, secret: str | None) -> int:
        connection = self.app.add_tracker()(
            AddTrackerCommand(
                project_id=self.project_id,
                provider=provider,
                base_url="https://tracker.example.com",
                key=key,
                token="tracker-token",
                webhook_secret=secret,
            )
        )
        assert connection.id is not None
        return connection.id

    def receive(
        self,
        connection_id: int | None,
        headers: dict[str, str],
        provider: Provider = Provider.GITHUB,
        body: bytes = BODY,
    ) -> WebhookOutcome:
        cmd = ReceiveWebhookCommand(
            provider=provider, connection_id=connection_id, headers=headers, body=body
        )
        outcome: WebhookOutcome = self.app.receive_webhook()(cmd)
        return outcome

    def webhook_events(self) -> list[dict[str, object]]:
        events = ListAuditEvents(uow=self.uow)(AuditQuery(action="tracker.webhook"))
        return [dict(e.detail) | {"target": e.target, "tenant": e.tenant} for e in events]


def github_headers(body: bytes = BODY, delivery: str = "d-1") -> dict[str, str]:
    return {"x-hub-signature-256": sign(body), "x-github-delivery": delivery}


@pytest.fixture
def world() -> World:
    return World()


def test_a_verified_delivery_is_accepted_recorded_and_audited_without_its_body(
    world: World,
) -> None:
    assert world.receive(world.github, github_headers()) is WebhookOutcome.ACCEPTED

    assert list(world.uow.committed.webhook_deliveries) == [(world.github, "d-1")]
    assert world.webhook_events() == [
        {
            "provider": "github",
            "delivery": "d-1",
            "target": f"tracker:{world.github}",
            "tenant": "acme",
        }
    ]
    assert "opened" not in repr(world.uow.committed.audit)


def test_a_repeated_delivery_is_a_duplicate_and_audited_once(world: World) -> None:
    world.receive(world.github, github_headers())

    assert world.receive(world.github, github_headers()) is WebhookOutcome.DUPLICATE
    other = BODY + b" "
    assert (
        world.receive(world.github, github_headers(other, delivery="d-2"), body=other)
        is WebhookOutcome.ACCEPTED
    )
    assert len(world.webhook_events()) == 2


def test_the_same_signed_body_under_a_fresh_delivery_id_is_a_duplicate(world: World) -> None:
    world.receive(world.github, github_headers(delivery="d-1"))

    replays = [world.receive(world.github, github_headers(delivery=f"r-{n}")) for n in range(50)]

    assert set(replays) == {WebhookOutcome.DUPLICATE}
    assert len(world.webhook_events()) == 1


def test_a_delivery_is_remembered_for_a_week_then_forgotten(world: World) -> None:
    world.receive(world.github, github_headers(delivery="d-old"))
    world.clock.advance(days=6, hours=23)
    within_a_week = world.receive(world.github, github_headers(delivery="d-old"))
    world.clock.advance(hours=2)
    new = BODY + b"\n"
    world.receive(world.github, github_headers(new, delivery="d-new"), body=new)  # prunes first

    assert within_a_week is WebhookOutcome.DUPLICATE
    assert list(world.uow.committed.webhook_deliveries) == [(world.github, "d-new")]
    assert len(world.uow.committed.webhook_bodies) == 1
    assert world.receive(world.github, github_headers(delivery="d-old")) is WebhookOutcome.ACCEPTED


def test_gitlab_and_jira_deliveries_are_verified_their_own_way(world: World) -> None:
    gitlab = world.add("gitlab", "acme/web", SECRET)
    jira = world.add("jira", "OPS", SECRET)

    assert (
        world.receive(
            gitlab,
            {"x-gitlab-token": SECRET, "x-gitlab-webhook-uuid": "g-1"},
            provider=Provider.GITLAB,
        )
        is WebhookOutcome.ACCEPTED
    )
    assert (
        world.receive(
            jira,
            {"x-hub-signature": sign(BODY), "x-atlassian-webhook-identifier": "j-1"},
            provider=Provider.JIRA,
        )
        is WebhookOutcome.ACCEPTED
    )
    with pytest.raises(WebhookRejected):
        world.receive(jira, {"x-hub-signature-256": sign(BODY)}, provider=Provider.JIRA)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown connection", "unknown_connection"),
        ("no connection", "unknown_connection"),
        ("another provider's connection", "wrong_provider"),
        ("a connection without a secret", "no_secret"),
        ("a wrong signature", "bad_signature"),
        ("a body altered after signing", "bad_signature"),
        ("no signature", "bad_signature"),
        ("an unreadable secret", "secret_unreadable"),
    ],
)
def test_every_refusal_looks_the_same_and_records_nothing(
    world: World, case: str, reason: str
) -> None:
    connection: int | None = world.github
    headers = github_headers()
    body = BODY
    if case == "unknown connection":
        connection = 999
    elif case == "no connection":
        connection = None
    elif case == "another provider's connection":
        connection = world.add("gitlab", "acme/web", SECRET)
    elif case == "a connection without a secret":
        connection = world.add("github", "acme/api", None)
    elif case == "a wrong signature":
        headers = {**headers, "x-hub-signature-256": sign(BODY, "not the secret")}
    elif case == "a body altered after signing":
        body = BODY.replace(b"opened", b"closed")
    elif case == "no signature":
        del headers["x-hub-signature-256"]
    elif case == "an unreadable secret":
        stored = world.uow.committed.trackers[world.github]
        world.uow.committed.trackers[world.github] = attrs.evolve(
            stored, webhook_secret_sealed="garbage"
        )

    with pytest.raises(AuthenticationFailed) as raised:
        world.receive(connection, headers, body=body)

    assert isinstance(raised.value, WebhookRejected)
    assert raised.value.reason == reason
    assert raised.value.message == "the webhook signature is missing or wrong"
    assert world.uow.committed.webhook_deliveries == {}
    assert world.webhook_events() == []


def test_each_scheme_reads_only_its_signature_and_delivery_headers() -> None:
    assert {p: s.headers for p, s in SCHEMES.items()} == {
        Provider.GITHUB: ("x-hub-signature-256", "x-github-delivery"),
        Provider.GITLAB: ("x-gitlab-token", "x-gitlab-webhook-uuid"),
        Provider.JIRA: ("x-hub-signature", "x-atlassian-webhook-identifier"),
    }
