"""ThreadLoopRunner: `aiops serve`'s thread for the issue-to-PR loop (issue 19). It runs the
due loop steps (RunLoopSteps) every AIOPS_PR_LOOP_POLL_SECONDS, and at once when woken: after
an agent's `finished` was recorded, after a webhook's pull request sync. Calling the runner
wakes it; without a started thread a wake-up changes nothing (the `pr-loop` job runs them).
"""

from __future__ import annotations

from aiops.adapters.wakeable_thread import WakeableThread

AFTER_WAKE_TRIES = 3  # a woken round that ran nothing looks again twice (a commit in flight)
AFTER_WAKE_PAUSE = 0.1  # seconds
MAX_ROUNDS = 100  # runs in one go at most (each runs up to RunLoopSteps' limit of steps)


class ThreadLoopRunner(WakeableThread):
    def __init__(self) -> None:
        super().__init__(
            name="pr_loop",
            logger="aiops.pull_requests",
            after_wake_tries=AFTER_WAKE_TRIES,
            after_wake_pause=AFTER_WAKE_PAUSE,
            max_rounds=MAX_ROUNDS,
        )
