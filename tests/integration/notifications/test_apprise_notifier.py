"""AppriseNotifier against real receivers: a JSON webhook and an SMTP server on 127.0.0.1."""

from __future__ import annotations

from aiops.adapters.apprise_notifier import AppriseNotifier, redact
from tests.integration.notifications.conftest import JsonReceiver, Mailbox


def test_a_json_webhook_receives_title_and_body(json_receiver: JsonReceiver) -> None:
    assert AppriseNotifier().send(json_receiver.url(), "session 7 is waiting", "body") is None

    ((path, payload, authorization, _),) = json_receiver.posts
    assert path == "/hook/tok-0123456789"
    assert (payload["title"], payload["message"]) == ("session 7 is waiting", "body")
    assert authorization is not None  # the URL's user and password, as Basic


def test_a_receivers_500_is_an_error_line_without_any_part_of_the_url(
    json_receiver: JsonReceiver,
) -> None:
    json_receiver.statuses = [500]

    error = AppriseNotifier().send(json_receiver.url(), "t", "b")

    assert error is not None
    assert "500" in error
    for secret in ("s3cr3t-pass", "hook-user", "tok-0123456789", str(json_receiver.port)):
        assert secret not in error


def test_mail_reaches_a_local_smtp_server(smtp_server: Mailbox) -> None:
    assert AppriseNotifier().send(smtp_server.url(), "session 7 finished", "all done") is None

    ((sender, recipients, content),) = smtp_server.messages
    assert sender == "aiops@example.com"
    assert recipients == ["ada@example.com"]
    assert "Subject: session 7 finished" in content
    assert "all done" in content


def test_an_unreachable_receiver_is_an_error_not_an_exception() -> None:
    error = AppriseNotifier().send("json://127.0.0.1:9/x/secret-token", "t", "b")
    assert error is not None
    assert "secret-token" not in error


def test_urls_apprise_cannot_parse_are_a_problem() -> None:
    notifier = AppriseNotifier()
    assert notifier.problem("json://127.0.0.1/x") is None
    assert notifier.problem("nosuchservice://x") is not None
    assert notifier.problem("mailto://") is not None


def test_redact_removes_every_part_of_the_url() -> None:
    url = "slack://T1AAAA/B2BBBB/C3CCCC/#ops"
    assert redact(f"failed to post to {url} (T1AAAA)", url) == "failed to post to … (…)"
