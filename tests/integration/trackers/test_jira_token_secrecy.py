"""The Jira token never shows, neither as given nor Basic-encoded: not in an error's message,
args or repr, not in any log line."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable

import pytest
import structlog

from aiops.adapters.trackers import JiraTracker
from aiops.domain.model.trackers import TrackerError
from aiops.ports.issue_tracker import TrackerTarget
from tests.fakes import FakeClock
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_jira import FakeJira
from tests.integration.trackers.test_token_secrecy import shown

SECRET = "ATATT3xCANARY9d1e5b"
CANARY = f"ops-bot@acme.example:{SECRET}"
ENCODED = base64.b64encode(CANARY.encode()).decode()


@pytest.mark.parametrize("jira", ["cloud", "server"], indirect=True)
def test_a_canary_token_never_appears_in_errors_or_logs(
    jira: FakeJira,
    jira_url: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for chatty in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=chatty)
    token = CANARY if jira.mode == "cloud" else SECRET  # Basic, or a Bearer PAT
    jira.cloud_token = jira.server_token = token
    canary = TrackerTarget(base_url=jira_url, key="OPS", token=token)
    wrong = TrackerTarget(base_url=jira_url, key="OPS", token=token + "x")
    missing = TrackerTarget(base_url=jira_url, key="NOPE", token=token)
    errors: list[TrackerError] = []

    def failing(call: Callable[[], object]) -> None:
        with pytest.raises(TrackerError) as caught:
            call()
        errors.append(caught.value)

    with (
        structlog.testing.capture_logs() as events,
        JiraTracker(allow_private_networks=True, clock=FakeClock(), retry=FAST_RETRY) as tracker,
    ):
        failing(lambda: tracker.check(wrong))  # 401
        failing(lambda: tracker.check(missing))  # 404
        failing(lambda: tracker.changed_since(missing, None, None))  # 400 errorMessages
        jira.fail_next = 5
        failing(lambda: tracker.changed_since(canary, None, None))  # 500, retried
        jira.garbage = b"{"
        failing(lambda: tracker.changed_since(canary, None, None))  # not JSON
        jira.retry_after = 60
        failing(lambda: tracker.check(canary))  # 429
        failing(lambda: tracker.check(canary))  # held back before sending

    assert [type(error).__name__ for error in errors] == [
        "TrackerAuthFailed",
        "TrackerNotFound",
        "TrackerNotFound",
        "TrackerError",
        "TrackerError",
        "TrackerRateLimited",
        "TrackerRateLimited",
    ]
    texts = [shown(error) for error in errors] + [repr(events)]
    texts += [record.getMessage() + str(vars(record)) for record in caplog.records]
    texts += list(capsys.readouterr())
    assert "httpx" in {r.name for r in caplog.records}
    for secret in (SECRET, ENCODED):
        assert all(secret not in text for text in texts)
