"""The documentation stays true and self-contained: docs/settings.md lists exactly the settings
of `Settings`, the README stays a front door, and no link leads outside the repository or to a
file that is not there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from aiops.config import setting_names

ROOT = Path(__file__).parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Text that names a place outside the checkout (a sibling folder, someone's working tree).
OUTSIDE = re.compile(r"\.\./shared\b|/work/(main|shared|wt-)")
TEXT = {".py", ".md", ".html", ".css", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".service", ".conf", ".example", ".sh", ""}  # fmt: skip
SKIP = {".git", ".venv", ".tools", "instance", "node_modules", "output", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}  # fmt: skip


def documented_settings(text: str) -> list[str]:
    """The AIOPS_* names in the first cell of each row of the settings table."""
    names = []
    for line in text.splitlines():
        if line.startswith("| `AIOPS_"):
            names += re.findall(r"`AIOPS_([A-Z0-9_]+)`", line.split("|")[1])
    return names


def test_the_settings_doc_lists_every_setting_once_and_nothing_else() -> None:
    documented = documented_settings((ROOT / "docs" / "settings.md").read_text())
    fields = {name.upper() for name in setting_names()}

    assert sorted(set(documented) - fields) == [], "documented but no such setting"
    assert sorted(fields - set(documented)) == [], "settings missing from docs/settings.md"
    assert len(documented) == len(set(documented)), "a setting documented twice"


def test_the_settings_check_notices_a_missing_and_an_invented_row() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    fewer = text.replace("| `AIOPS_SSH_HOST` |", "| SSH host |")
    more = text + "| `AIOPS_NO_SUCH_THING` | `1` | invented |\n"

    assert "SSH_HOST" not in documented_settings(fewer)
    assert "NO_SUCH_THING" in documented_settings(more)
    assert {"HOST", "PORT"} <= set(documented_settings(text))  # two names in one row


def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text()

    assert len(readme.splitlines()) <= 200
    assert "make check" in readme  # CI runs the README's test command (.ci/run)
    for doc in DOCS:
        if doc.name != "README.md" and "adr" not in doc.parts:
            assert f"({doc.relative_to(ROOT).as_posix()})" in readme, f"{doc} is not in the map"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_of_the_repository(doc: Path) -> None:
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a URL or an anchor of the same page
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT.resolve()), f"{doc.name}: {target} leads outside"
        assert path.exists(), f"{doc.name}: {target} does not exist"


def test_nothing_in_the_repository_names_a_place_outside_it() -> None:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in SKIP]
        for name in set(files) - SKIP:
            path = Path(folder) / name
            if path.suffix not in TEXT or path == Path(__file__):
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if OUTSIDE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
