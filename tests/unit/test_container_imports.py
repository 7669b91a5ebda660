"""The container names its adapters and use cases lazily (docs/adr/0002-fast-cli-start.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aiops import container
from aiops.container import _lazy, core, gateways


def test_every_lazy_name_is_the_class_or_function_it_stands_for() -> None:
    lazies = {
        f"{module!r}.{name}": (name, lazy)
        for owner in (container, core, gateways)
        for module in vars(owner).values()
        if isinstance(module, _lazy.LazyModule)
        for name, lazy in module.names.items()
    }

    assert len(lazies) > 80
    assert {key: lazy.resolve().__name__ for key, (_, lazy) in lazies.items()} == {
        key: name for key, (name, _) in lazies.items()
    }


def test_a_lazy_module_imports_nothing_until_a_name_is_called() -> None:
    module = _lazy.LazyModule("aiops.no_such_module")
    name = module.Anything

    assert module.Anything is name  # one stand-in per name
    with pytest.raises(ModuleNotFoundError):
        name()
    with pytest.raises(AttributeError):
        module.__wrapped__  # noqa: B018 - dunder lookups are not names


def test_importing_the_container_loads_no_adapter_use_case_or_database_library() -> None:
    code = "import sys, aiops.container\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = result.stdout.split()

    assert [m for m in modules if m.startswith("aiops.")] == [
        "aiops.config",
        "aiops.container",
        "aiops.container._lazy",
        "aiops.container.core",
        "aiops.container.gateways",
        "aiops.setting_values",
    ]
    assert not {"sqlalchemy", "werkzeug", "starlette", "fastapi", "yaml", "pydantic"} & {
        m.split(".")[0] for m in modules
    }
