"""The token never shows: not in an error's message, args or repr, not in any log line."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest
import structlog

from aiops.adapters.trackers import GitHubTracker, RetryPolicy
from aiops.domain.model.trackers import TrackerError
from aiops.ports.issue_tracker import TrackerTarget
from tests.fakes import FakeClock
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_github import FakeGitHub

CANARY = "ghp_CANARY_4f1d9b7e2a6c"


def shown(error: BaseException) -> str:
    parts = [str(error), repr(error), repr(error.args)]
    cause = error.__cause__ or error.__context__
    if cause is not None and not error.__suppress_context__:
        parts.append(shown(cause))
    return "\n".join(parts)


def test_a_canary_token_never_appears_in_errors_or_logs(
    github: FakeGitHub,
    target: TrackerTarget,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    # An app made by an earlier test quiets httpx to WARNING (configure_logging): hear it all.
    caplog.set_level(logging.DEBUG, logger="httpx")
    caplog.set_level(logging.DEBUG, logger="httpcore")
    github.token = CANARY
    canary = TrackerTarget(base_url=target.base_url, key="acme/web", token=CANARY)
    wrong = TrackerTarget(base_url=target.base_url, key="acme/web", token=CANARY + "x")
    missing = TrackerTarget(base_url=target.base_url, key="acme/nope", token=CANARY)
    errors: list[TrackerError] = []

    def failing(call: Callable[[], object]) -> None:
        with pytest.raises(TrackerError) as caught:
            call()
        errors.append(caught.value)

    with (
        structlog.testing.capture_logs() as events,
        GitHubTracker(allow_private_networks=True, clock=FakeClock(), retry=FAST_RETRY) as tracker,
    ):
        failing(lambda: tracker.check(wrong))  # 401
        failing(lambda: tracker.check(missing))  # 404
        github.fail_next = 5
        failing(lambda: tracker.changed_since(canary, None, None))  # 500, retried
        github.redirect["/repos/acme/web"] = target.base_url.replace("127.0.0.1", "localhost")
        failing(lambda: tracker.check(canary))  # cross-origin redirect
        github.redirect.clear()
        github.garbage = b"{"
        failing(lambda: tracker.changed_since(canary, None, None))  # not JSON
        github.rate_limit = 0
        failing(lambda: tracker.check(canary))  # 403 rate limited
        failing(lambda: tracker.check(canary))  # held back before sending
    with socket.socket() as sock, structlog.testing.capture_logs() as more:
        sock.bind(("127.0.0.1", 0))
        closed = TrackerTarget(
            base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", key="a/b", token=CANARY
        )
        policy = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.01, wait_jitter=0)
        with GitHubTracker(allow_private_networks=True, retry=policy) as tracker:
            failing(lambda: tracker.check(closed))  # unreachable, retried

    assert len(errors) == 8
    assert all(CANARY not in shown(error) for error in errors)
    assert CANARY not in repr(canary)
    assert caplog.records  # httpx and the retries did log
    assert "httpx" in {r.name for r in caplog.records}
    assert "stamina.retry_scheduled" in {e["event"] for e in events}
    assert "stamina.retry_scheduled" in {e["event"] for e in more}
    assert CANARY not in repr(events + more)
    assert all(CANARY not in record.getMessage() for record in caplog.records)
    assert all(CANARY not in str(vars(record)) for record in caplog.records)
    out, err = capsys.readouterr()
    assert CANARY not in out
    assert CANARY not in err
