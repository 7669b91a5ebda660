"""The web server's loop runner (AIOPS_PR_LOOP_POLL_SECONDS): with auto_pull_request on, the
open step an agent's `finished` queues is run by the server's thread, the pull request opened
and the issue commented, within a few seconds, and nothing twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from aiops.config import Settings
from aiops.domain.model.pull_requests import StepState
from aiops.domain.usecases.pull_requests import queue_after_finished
from tests.integration.git.conftest import Git
from tests.integration.http.test_pull_requests_api import (
    Loop,
    github,
    github_url,
    loop,
    pulls,
    work,
)

__all__ = ["github", "github_url", "loop"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return attrs.evolve(settings, tracker_allow_private_networks=True, pr_loop_poll_seconds=0.2)


def test_the_server_s_thread_opens_the_pull_request_an_agent_s_finish_queued(loop: Loop) -> None:
    started = work(loop).json()
    Git(Path(started["worktree"]["path"])).commit({"disk.py": "free = 1\n"}, "Free it (#1)")
    with loop.app.uow() as uow:
        project = uow.projects.get(loop.world.web_id)
        assert project is not None
        uow.projects.update(attrs.evolve(project, auto_pull_request=True))
        session = uow.agent_sessions.get(started["session"]["id"])
        assert session is not None
        step = queue_after_finished(uow, session, datetime.now(UTC))
        uow.commit()
    assert step is not None
    loop.app.gateways.loop_wakeup()()

    deadline = time.monotonic() + 10
    while not loop.github.issue_comments("acme/web", 1) and time.monotonic() < deadline:
        time.sleep(0.05)

    [pull] = pulls(loop).json()["pull_requests"]
    assert pull["head"] == "aiops/gh-1-issue-1"
    assert len(loop.github.pulls["acme/web"]) == 1
    [comment] = loop.github.issue_comments("acme/web", 1)
    assert pull["url"] in str(comment["body"])
    with loop.app.uow() as uow:
        done = uow.loop_steps.get_by_key(step.key)
    assert done is not None
    assert done.state is StepState.DONE
