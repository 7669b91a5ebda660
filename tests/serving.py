"""Waiting for an `aiops serve` a test started."""

from __future__ import annotations

import time
from pathlib import Path

import httpx


def wait_until_healthy(base: str, log: Path, timeout: float = 30) -> None:
    """Until `base`/healthz answers 200; past `timeout`, fail with the end of the server's log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
