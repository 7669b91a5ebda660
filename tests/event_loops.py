"""Running a coroutine from a test, whatever the test's thread holds.

The browser tests' session-wide Playwright (sync API) keeps an event loop marked running in
the main thread of an xdist worker for the rest of its tests, so `asyncio.run` there fails
("cannot be called from a running event loop"): a thread of its own has no running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
