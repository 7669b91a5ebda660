"""bench/large_repo.py writes refs fast-import will not (pull refs on missing objects) straight
into packed-refs: the file git reads must stay sorted, each annotated tag's peeled line after
its tag, and no ref lost or changed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.large_repo import large

HEADER = "# pack-refs with: peeled fully-peeled sorted "
shas = st.text("0123456789abcdef", min_size=40, max_size=40)
names = st.from_regex(r"refs/(heads|tags|pull)/[a-zA-Z0-9_./-]{1,12}", fullmatch=True)


def _packed(refs: dict[str, tuple[str, str | None]]) -> str:
    lines = [HEADER]
    for name in sorted(refs, key=str.encode):
        sha, peeled = refs[name]
        lines.append(f"{sha} {name}")
        if peeled is not None:
            lines.append(f"^{peeled}")
    return "\n".join(lines) + "\n"


def _parse(text: str) -> tuple[list[str], dict[str, tuple[str, str | None]]]:
    order: list[str] = []
    refs: dict[str, tuple[str, str | None]] = {}
    for line in text.splitlines()[1:]:
        if line.startswith("^"):
            refs[order[-1]] = (refs[order[-1]][0], line[1:])
        else:
            sha, name = line.split(" ", 1)
            order.append(name)
            refs[name] = (sha, None)
    return order, refs


@given(
    existing=st.dictionaries(names, st.tuples(shas, st.none() | shas), max_size=20),
    extra=st.dictionaries(names.map(lambda n: f"refs/pull/{n}/head"), shas, max_size=20),
)
def test_added_refs_keep_packed_refs_sorted_with_peeled_lines_after_their_tags(
    existing: dict[str, tuple[str, str | None]], extra: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder)
        (bare / "packed-refs").write_text(_packed(existing))

        large._add_packed_refs(bare, extra)

        text = (bare / "packed-refs").read_text()
    order, refs = _parse(text)
    assert text.splitlines()[0] == HEADER
    assert order == sorted(order, key=str.encode)
    assert refs == existing | {name: (sha, None) for name, sha in extra.items()}
