"""The container names its adapters and use cases lazily (docs/adr/0002-fast-cli-start.md)."""

from __future__ import annotations

import subprocess
import sys

from aiops import container


def test_every_lazy_name_is_the_class_or_function_it_stands_for() -> None:
    lazies = {n: v for n, v in vars(container).items() if isinstance(v, container._Lazy)}

    assert len(lazies) > 80
    assert {name: lazy.resolve().__name__ for name, lazy in lazies.items()} == {
        name: name for name in lazies
    }


def test_importing_the_container_loads_no_adapter_use_case_or_database_library() -> None:
    code = "import sys, aiops.container\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = result.stdout.split()

    assert [m for m in modules if m.startswith("aiops.")] == ["aiops.config", "aiops.container"]
    assert not {"sqlalchemy", "werkzeug", "starlette", "fastapi"} & {
        m.split(".")[0] for m in modules
    }
