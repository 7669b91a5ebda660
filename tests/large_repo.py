"""bench/large_repo.py (the generated large repository), loaded once for the tests that use it:
bench/ is scripts, not a package."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).parents[1] / "bench" / "large_repo.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("large_repo", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("large_repo", module)
    spec.loader.exec_module(module)
    return module


large = _load()
