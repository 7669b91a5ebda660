"""adf_to_text: Jira Cloud's Atlassian Document Format descriptions as readable text, whatever
shape the server sends."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from aiops.adapters.trackers.adf import MAX_DEPTH, adf_to_text


def text(value: str) -> dict[str, object]:
    return {"type": "text", "text": value}


def para(*content: dict[str, object]) -> dict[str, object]:
    return {"type": "paragraph", "content": list(content)}


def node(kind: str, *content: dict[str, object], **attrs: object) -> dict[str, object]:
    return {"type": kind, "content": list(content), "attrs": attrs}


def doc(*content: dict[str, object]) -> dict[str, object]:
    return {"type": "doc", "version": 1, "content": list(content)}


def test_blocks_become_paragraphs_and_inline_nodes_their_text() -> None:
    rendered = adf_to_text(
        doc(
            node("heading", text("Outage"), level=2),
            para(
                {"type": "text", "text": "Paged ", "marks": [{"type": "strong"}]},
                {"type": "mention", "attrs": {"id": "5b10", "text": "@Alice"}},
                {"type": "hardBreak"},
                text("since 09:00 "),
                {"type": "emoji", "attrs": {"shortName": ":fire:", "text": "🔥"}},
                {"type": "emoji", "attrs": {"shortName": ":eyes:"}},
            ),
            {"type": "rule"},
            node("codeBlock", text("kubectl get pods\nkubectl logs web"), language="bash"),
            node("blockquote", para(text("first line")), para(text("second"))),
            node(
                "panel",
                para(text("see "), node("inlineCard", url="https://status.example")),
                panelType="info",
            ),
        )
    )

    assert rendered == (
        "Outage\n\nPaged @Alice\nsince 09:00 🔥:eyes:\n\n---\n\n"
        "kubectl get pods\nkubectl logs web\n\n> first line\n> \n> second\n\n"
        "see https://status.example"
    )


def test_lists_get_bullets_numbers_and_indented_nesting() -> None:
    nested = node("bulletList", node("listItem", para(text("inner"))))
    rendered = adf_to_text(
        doc(
            node(
                "bulletList",
                node("listItem", para(text("one")), nested),
                node("listItem", para(text("two"))),
            ),
            node(
                "orderedList",
                node("listItem", para(text("a"))),
                node("listItem", para(text("b"))),
                order=3,
            ),
        )
    )

    assert rendered == "- one\n  - inner\n- two\n\n3. a\n4. b"


def test_a_table_is_a_line_per_row_with_cells_between_bars() -> None:
    def row(kind: str, *cells: str) -> dict[str, object]:
        return node("tableRow", *(node(kind, para(text(c))) for c in cells))

    table = node("table", row("tableHeader", "host", "state"), row("tableCell", "web-1", "down"))

    assert adf_to_text(doc(table)) == "host | state\nweb-1 | down"


def test_unknown_nodes_give_their_childrens_text_and_odd_shapes_give_nothing() -> None:
    odd: list[Any] = [
        None,
        "text",
        42,
        [],
        {"type": 7},
        {"content": "not a list"},
        {"type": "mention", "attrs": "not a mapping"},
        {"type": "text", "text": 12},
        {"type": "orderedList", "attrs": {"order": True}, "content": [None, 3]},
    ]

    assert (
        adf_to_text(doc(node("expand", para(text("kept")), title="x"), *odd)) == "kept\n\n1. \n2."
    )
    assert adf_to_text(None) == ""
    assert adf_to_text({"type": "doc"}) == ""


def test_nesting_deeper_than_the_limit_is_cut_off_without_exhausting_the_stack() -> None:
    deep: dict[str, object] = text("bottom")
    for _ in range(20_000):
        deep = {"type": "blockquote", "content": [deep]}

    assert "bottom" not in adf_to_text(deep)
    shallow: dict[str, object] = text("bottom")
    for _ in range(MAX_DEPTH // 2):
        shallow = {"type": "panel", "content": [shallow]}
    assert adf_to_text(shallow) == "bottom"


WORD = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=10)
KIND = st.sampled_from(
    [
        "doc", "paragraph", "heading", "text", "hardBreak", "bulletList", "orderedList",
        "listItem", "codeBlock", "blockquote", "rule", "mention", "emoji", "inlineCard",
        "table", "tableRow", "tableCell", "tableHeader", "panel", "status", "expand",
    ]
) | st.text(max_size=8)  # fmt: skip
JUNK = st.none() | st.booleans() | st.integers() | st.text(max_size=4) | st.lists(st.integers())
ATTRS = st.dictionaries(
    st.sampled_from(["text", "url", "shortName", "order", "level", "id"]), JUNK | WORD, max_size=3
)
LEAF = st.builds(text, WORD)


def branch(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"type": KIND, "content": st.lists(children, max_size=4)},
        optional={"attrs": ATTRS | JUNK, "text": JUNK},
    )


ADFISH = st.recursive(LEAF | JUNK, branch, max_leaves=30)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


def leaves(value: object) -> list[str]:
    """The text of every text node whose text is a word (what the strategy's leaves are)."""
    found: list[str] = []
    if isinstance(value, dict):
        word = value.get("text")
        if value.get("type") == "text" and isinstance(word, str) and word and not word.split()[1:]:
            found.append(word.strip())
        content = value.get("content")
        for child in content if isinstance(content, list) else ():
            found.extend(leaves(child))
    return found


@given(ADFISH)
def test_every_text_leaf_of_any_adf_like_tree_is_in_the_text(tree: object) -> None:
    rendered = adf_to_text(tree)

    for word in leaves(tree):
        assert word in rendered


@given(JSON)
def test_any_json_renders_without_raising(value: object) -> None:
    assert isinstance(adf_to_text(value), str)
