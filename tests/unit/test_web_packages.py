"""The browser's terminal's packages: exact versions in web/package.json, npm's output and the
copies served from static/vendor/ ignored by git (no lockfile naming a registry's host is
committed), and, after `make vendor`, the files the page imports are there (CI fails without)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aiops.entrypoints.http.web import HERE

ROOT = Path(__file__).parents[2]
PACKAGES = {"@xterm/xterm", "@xterm/addon-fit", "@xterm/addon-web-links", "@xterm/addon-search"}
# What static/terminal.js imports from static/vendor/, and the stylesheet it links.
IMPORTED = re.compile(r"`\$\{VENDOR\}([\w.-]+)`")


def test_the_packages_are_pinned_to_exact_versions() -> None:
    package = json.loads((ROOT / "web" / "package.json").read_text())

    assert set(package["dependencies"]) == PACKAGES
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version), f"{name}: {version} is a range"
    assert package["private"] is True  # never published by accident


def test_npm_output_lockfiles_and_the_copies_are_ignored_by_git() -> None:
    ignored = set((ROOT / ".gitignore").read_text().splitlines())

    assert {"/web/node_modules/", "package-lock.json"} <= ignored
    assert "/src/aiops/entrypoints/http/static/vendor/" in ignored
    assert not (ROOT / "web" / "package-lock.json").exists() or "package-lock.json" in ignored


def test_make_vendor_has_copied_what_the_terminal_imports() -> None:
    wanted = IMPORTED.findall((HERE / "static" / "terminal.js").read_text())
    assert {"xterm.js", "xterm.css", "addon-fit.js", "addon-search.js"} <= set(wanted)
    missing = [name for name in wanted if not (HERE / "static" / "vendor" / name).is_file()]
    if missing:
        pytest.skip(f"static/vendor/ lacks {', '.join(missing)}: run `make vendor` (npm)")
    for name in wanted:
        if name.endswith(".js"):
            text = (HERE / "static" / "vendor" / name).read_text()
            assert "export{" in text.replace(" ", ""), f"{name} is not an ES module"
