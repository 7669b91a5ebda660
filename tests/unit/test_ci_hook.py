from __future__ import annotations

from pathlib import Path

import pytest

ROOT_CONFTEST = Path(__file__).parents[1] / "conftest.py"
SKIPPING_TEST = """
import pytest

def test_needs_a_server():
    pytest.skip("PostgreSQL is not reachable")
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", "failed"), ("", "skipped")])
def test_a_skip_fails_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: str
) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makepyfile(SKIPPING_TEST)
    monkeypatch.setenv("CI", ci)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(**{outcome: 1})
    if ci:
        result.stdout.fnmatch_lines(["*CI=true forbids skipping*PostgreSQL is not reachable*"])
