"""Names the containers import on first use, so that building a container imports no adapter
and no use case: each command imports what it calls (docs/adr/0002)."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any


def import_dependency_injector() -> None:
    """dependency_injector's wiring module imports FastAPI, fast_depends, Starlette's requests
    and werkzeug (a test-only package here) when they are installed, to recognise their
    markers; its providers import PyYAML for `Configuration.from_yaml`. aiops neither wires
    nor reads configuration through it: they are hidden for that one import (30-50 ms a
    command; PyYAML alone ~15 ms). Each is an optional import there (`try: import ... except
    ImportError`); tests/unit/test_container_imports.py fails if that changes. (pydantic is
    not hidden: providers reads `pydantic.VERSION` when pydantic_settings is missing, and
    neither is a dependency of aiops any more.)"""
    hidden = []
    for dotted in (
        "fastapi.params",
        "fast_depends.dependencies",
        "starlette.requests",
        "werkzeug.local",
        "yaml",
    ):
        package = dotted.split(".")[0]
        name = dotted if package in sys.modules else package
        if name not in sys.modules:
            hidden.append(name)
            sys.modules[name] = None  # type: ignore[assignment] # importing it fails at once
    try:
        import_module("dependency_injector.containers")
    finally:
        for name in hidden:
            del sys.modules[name]


class Lazy:
    """A class or function imported on its first call."""

    __slots__ = ("_module", "_name", "_target")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name, self._target = module, name, None

    def resolve(self) -> Any:
        if self._target is None:
            self._target = getattr(import_module(self._module), self._name)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy {self._module}.{self._name}>"


class LazyModule:
    """A module whose attributes are Lazy names: `usecases.tenants.CreateTenant` imports
    aiops.domain.usecases.tenants when the provider first calls it. For mypy the same name is
    the real module (under TYPE_CHECKING), so every provider is type-checked."""

    __slots__ = ("_module", "names")

    def __init__(self, module: str) -> None:
        self._module = module
        self.names: dict[str, Lazy] = {}

    def __getattr__(self, name: str) -> Lazy:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.names.setdefault(name, Lazy(self._module, name))

    def __repr__(self) -> str:
        return f"<lazy module {self._module}>"


def modules(package: str, *names: str) -> tuple[Any, ...]:
    """A LazyModule for each of the package's `names` (at run time, in place of the import)."""
    return tuple(LazyModule(f"{package}.{name}") for name in names)
