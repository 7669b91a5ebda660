"""Closing ansible-playbook's finished pty without an idle wait.

ansible-runner drives ansible-playbook through pexpect, and once it has seen the child exit
(and reaped it) it closes the pty with ptyprocess's `close()`, which always sleeps
`delayafterclose` (0.1 s) first, "to give the kernel time to update process status". A child
that has already been reaped has no status left to update, so for every run that sleep is
only idle time: about a tenth of a connectivity playbook's whole run (bench/ansible.py).
ansible-runner offers no hook on the child it spawns, so `install()` wraps
`PtyProcess.close` once: a child already `terminated` is closed without the sleep; any other
child is closed exactly as ptyprocess does it (sleep, then terminate it if still alive).
"""

from __future__ import annotations

from typing import Any

import ptyprocess  # type: ignore[import-untyped]

_MARK = "_aiops_no_idle_wait"


def install() -> None:
    """Idempotent; the runner adapter calls it before its first run."""
    original = ptyprocess.PtyProcess.close
    if getattr(original, _MARK, False):
        return

    def close(self: Any, force: bool = True) -> None:
        if self.terminated:  # exited and reaped: nothing for the kernel to update
            self.delayafterclose = 0
        original(self, force)

    setattr(close, _MARK, True)
    close.__doc__ = original.__doc__
    ptyprocess.PtyProcess.close = close
