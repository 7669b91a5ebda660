"""The dependency rule: domain <- ports <- adapters <- entrypoints, and a pure domain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "aiops"
FRAMEWORKS = {
    "sqlalchemy",
    "alembic",
    "starlette",
    "dulwich",
    "httpx",
    "ansible_runner",
    "uvicorn",
    "typer",
    "jinja2",
    "pydantic",
    "pydantic_settings",
    "dependency_injector",
    "structlog",
    "argon2",
    "psycopg",
    "cryptography",
    "stamina",
    "prometheus_client",
    "authlib",
    "joserfc",
}
# What each layer may not import from aiops itself.
FORBIDDEN = {
    "domain": {
        "aiops.ports.",
        "aiops.adapters",
        "aiops.entrypoints",
        "aiops.container",
        "aiops.config",
        "aiops.log",
    },
    "ports": {"aiops.adapters", "aiops.entrypoints", "aiops.container"},
    "adapters": {"aiops.entrypoints", "aiops.container"},
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(layer: str) -> list[Path]:
    return sorted((SRC / layer).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: str(p.relative_to(SRC)))
def test_domain_imports_no_framework(path: Path) -> None:
    bad = {name for name in imports_of(path) if name.split(".")[0] in FRAMEWORKS}
    assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_inward(layer: str) -> None:
    offences = []
    for path in modules(layer):
        for name in imports_of(path):
            dotted = name + "."
            if layer == "domain" and dotted.startswith("aiops.ports.") and "usecases" in path.parts:
                continue  # use cases depend on ports; entities do not
            if any(dotted.startswith(prefix) or name == prefix for prefix in FORBIDDEN[layer]):
                offences.append(f"{path.relative_to(SRC)} -> {name}")
    assert not offences


MACHINERY_CALLS = {("time", "monotonic"), ("time", "sleep")}


def machinery_in(source: str) -> list[str]:
    """Threads and timers a module uses: an import of threading (or of time's monotonic or
    sleep), or a call of time.monotonic / time.sleep."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "threading"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {(node.module, alias.name) for alias in node.names}
            if node.module.split(".")[0] == "threading" or names & MACHINERY_CALLS:
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in MACHINERY_CALLS:
                found.append(f"{owner.id}.{node.func.attr}()")
    return found


def test_the_machinery_check_finds_threads_and_timers() -> None:
    source = (
        "import threading\nimport time\nfrom time import sleep\n"
        "def f():\n    return time.monotonic() + time.time()\n"
    )
    assert machinery_in(source) == [
        "import threading",
        "from time import ...",
        "time.monotonic()",
    ]
    assert machinery_in("from datetime import timedelta\nimport time\nx = time.time()\n") == []


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: str(p.relative_to(SRC)))
def test_the_domain_keeps_no_threads_locks_or_timers(path: Path) -> None:
    """Threads, locks and monotonic deadlines are an adapter's business (run recorders, the
    job worker, process locks); the domain keeps the decisions."""
    found = machinery_in(path.read_text())
    assert not found, f"{path.relative_to(SRC)} uses {found}"


def test_importing_every_domain_module_loads_no_framework() -> None:
    code = (
        "import importlib, pkgutil, sys, aiops.domain as d\n"
        "for m in pkgutil.walk_packages(d.__path__, 'aiops.domain.'):\n"
        "    importlib.import_module(m.name)\n"
        f"loaded = sorted(set({sorted(FRAMEWORKS)!r}) & {{n.split('.')[0] for n in sys.modules}})\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
