"""A GitLab token never shows: not in an error's message, args or repr, not in any log line."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import structlog

from aiops.adapters.trackers import GitLabTracker
from aiops.domain.model.trackers import TrackerError
from aiops.ports.issue_tracker import TrackerTarget
from tests.fakes import FakeClock
from tests.integration.trackers.conftest import FAST_RETRY
from tests.integration.trackers.fake_gitlab import FakeGitLab
from tests.integration.trackers.test_token_secrecy import shown

CANARY = "glpat-CANARY-8e3a1c5d0b"


def test_a_canary_gitlab_token_never_appears_in_errors_or_logs(
    gitlab: FakeGitLab,
    gitlab_target: TrackerTarget,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for chatty in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=chatty)
    gitlab.token = CANARY
    base = gitlab_target.base_url
    canary = TrackerTarget(base_url=base, key=gitlab_target.key, token=CANARY)
    wrong = TrackerTarget(base_url=base, key=gitlab_target.key, token=CANARY + "x")
    missing = TrackerTarget(base_url=base, key="acme/nope", token=CANARY)
    errors: list[TrackerError] = []

    def failing(call: Callable[[], object]) -> None:
        with pytest.raises(TrackerError) as caught:
            call()
        errors.append(caught.value)

    with (
        structlog.testing.capture_logs() as events,
        GitLabTracker(allow_private_networks=True, clock=FakeClock(), retry=FAST_RETRY) as tracker,
    ):
        failing(lambda: tracker.check(wrong))  # 401
        failing(lambda: tracker.check(missing))  # 404
        gitlab.fail_next = 5
        failing(lambda: tracker.changed_since(canary, None, None))  # 500, retried
        gitlab.garbage = (b"<html>login</html>", "text/html")
        failing(lambda: tracker.changed_since(canary, None, None))  # not a GitLab
        gitlab.garbage = None
        gitlab.retry_after = 30
        failing(lambda: tracker.check(canary))  # 429
        failing(lambda: tracker.check(canary))  # held back before sending

    assert len(errors) == 6
    assert all(CANARY not in shown(error) for error in errors)
    assert "stamina.retry_scheduled" in {e["event"] for e in events}
    assert CANARY not in repr(events)
    assert "httpx" in {r.name for r in caplog.records}
    assert all(CANARY not in str(vars(record)) for record in caplog.records)
    out, err = capsys.readouterr()
    assert CANARY not in out + err
