"""Atlassian Document Format (ADF) to plain text: what Jira Cloud's v3 API sends as an issue
description, turned into the readable text aiops stores as the issue body.

Pure and forgiving: the payload comes from a server, so any shape is accepted and none raises.
Marks (bold, links, colours) are dropped; a node aiops does not know still gives its children's
text; nesting deeper than MAX_DEPTH is cut off rather than allowed to exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

MAX_DEPTH = 64
_BLANK_LINES = re.compile(r"\n{3,}")

Node = Mapping[str, object]


def adf_to_text(document: object) -> str:
    """The text of an ADF document (or of any node); "" for None or a shape with no text."""
    return _BLANK_LINES.sub("\n\n", _render(document, 0)).strip()


def _render(node: object, depth: int) -> str:
    if depth > MAX_DEPTH or not isinstance(node, Mapping):
        return ""
    kind = node.get("type")
    renderer = _RENDERERS.get(kind) if isinstance(kind, str) else None
    return (renderer or _children)(node, depth)


def _content(node: Node) -> Sequence[object]:
    content = node.get("content")
    return content if isinstance(content, list) else ()


def _attr(node: Node, *names: str) -> str:
    """The first of `names` that is a non-empty string in the node's attrs."""
    attrs = node.get("attrs")
    if isinstance(attrs, Mapping):
        for name in names:
            value = attrs.get(name)
            if isinstance(value, str) and value:
                return value
    return ""


def _children(node: Node, depth: int) -> str:
    return "".join(_render(child, depth + 1) for child in _content(node))


def _text(node: Node, depth: int) -> str:
    text = node.get("text")
    return (text if isinstance(text, str) else "") + _children(node, depth)


def _block(node: Node, depth: int) -> str:
    return _children(node, depth).strip("\n") + "\n\n"


def _atom(*names: str) -> Callable[[Node, int], str]:
    """An inline node shown by one of its attributes (a mention's name, a card's URL)."""

    def render(node: Node, depth: int) -> str:
        return _attr(node, *names) + _children(node, depth)

    return render


def _hard_break(node: Node, depth: int) -> str:
    return "\n" + _children(node, depth)


def _rule(node: Node, depth: int) -> str:
    return "---\n\n" + _children(node, depth)


def _indented(text: str, first: str, rest: str) -> str:
    lines = text.strip("\n").split("\n")
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])]) + "\n"


def _item(text: str, bullet: str) -> str:
    """A list item's blocks as lines under its bullet, continuation lines indented."""
    return _indented(_BLANK_LINES.sub("\n\n", text).replace("\n\n", "\n"), bullet, "  ")


def _list(bullet: Callable[[int], str]) -> Callable[[Node, int], str]:
    def render(node: Node, depth: int) -> str:
        items = [_render(child, depth + 1) for child in _content(node)]
        return "".join(_item(text, bullet(n)) for n, text in enumerate(items)) + "\n"

    return render


def _ordered(node: Node, depth: int) -> str:
    attrs = node.get("attrs")
    order = attrs.get("order") if isinstance(attrs, Mapping) else None
    start = order if isinstance(order, int) and not isinstance(order, bool) else 1
    return _list(lambda n: f"{start + n}. ")(node, depth)


def _quote(node: Node, depth: int) -> str:
    return _indented(_children(node, depth), "> ", "> ") + "\n"


def _table(node: Node, depth: int) -> str:
    return "".join(_row(row, depth + 1) for row in _content(node)) + "\n"


def _row(row: object, depth: int) -> str:
    """A tableRow's cells on one line; anything else in a table as one line of its text."""
    if depth > MAX_DEPTH or not isinstance(row, Mapping):
        return ""
    if row.get("type") != "tableRow":
        return _one_line(_render(row, depth)) + "\n"
    return " | ".join(_one_line(_render(cell, depth + 1)) for cell in _content(row)) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


_RENDERERS: dict[str, Callable[[Node, int], str]] = {
    "text": _text,
    "paragraph": _block,
    "heading": _block,
    "codeBlock": _block,
    "panel": _block,
    "hardBreak": _hard_break,
    "rule": _rule,
    "bulletList": _list(lambda _n: "- "),
    "orderedList": _ordered,
    "blockquote": _quote,
    "table": _table,
    "mention": _atom("text", "id"),
    "emoji": _atom("text", "shortName"),
    "status": _atom("text"),
    "inlineCard": _atom("url"),
    "blockCard": _atom("url"),
    "embedCard": _atom("url"),
}
