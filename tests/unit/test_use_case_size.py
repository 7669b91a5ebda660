"""Use cases read as a few lines over pure decisions: no public method of a use case passes 40
lines. A longer one hides decisions that belong in a pure function beside it (as `plan_sync`
in sync_issues.py), where a property test can reach every branch."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

USE_CASES = Path(__file__).parents[2] / "src" / "aiops" / "domain" / "usecases"
LIMIT = 40
# "<module>:<Class.method>" -> why it may be longer. Keep this short.
EXCEPTIONS: dict[str, str] = {}


def public_methods(path: Path) -> list[tuple[str, int]]:
    """(Class.method, lines) of each public method (and __call__) of the module's classes."""
    found = []
    for node in ast.parse(path.read_text(), str(path)).body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if item.name.startswith("_") and item.name != "__call__":
                continue
            assert item.end_lineno is not None
            start = min([item.lineno, *(d.lineno for d in item.decorator_list)])
            found.append((f"{node.name}.{item.name}", item.end_lineno - start + 1))
    return found


def test_the_walk_finds_methods_and_counts_their_lines(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "class A:\n"
        "    def __call__(self):\n        return 1\n"
        "    def _hidden(self):\n        return 2\n"
        "    @property\n    def p(self):\n        x = 1\n        return x\n"
    )
    assert public_methods(module) == [("A.__call__", 2), ("A.p", 4)]


@pytest.mark.parametrize(
    "path", sorted(USE_CASES.glob("*.py")), ids=lambda p: p.name.removesuffix(".py")
)
def test_no_public_use_case_method_passes_forty_lines(path: Path) -> None:
    long = [
        f"{path.stem}:{name} has {lines} lines"
        for name, lines in public_methods(path)
        if lines > LIMIT and f"{path.stem}:{name}" not in EXCEPTIONS
    ]
    assert not long, "; ".join(long)


def test_every_exception_is_still_needed() -> None:
    sizes = {
        f"{path.stem}:{name}": lines
        for path in USE_CASES.glob("*.py")
        for name, lines in public_methods(path)
    }
    stale = [name for name in EXCEPTIONS if sizes.get(name, 0) <= LIMIT]
    assert not stale, f"no longer over {LIMIT} lines (remove them): {stale}"
