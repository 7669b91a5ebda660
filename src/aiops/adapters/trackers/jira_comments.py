"""The Markdown aiops writes in a comment, as Jira takes it: an ADF document (Cloud, v3) or wiki
markup (Server / Data Center, v2).

Only what aiops's comments use is translated: paragraphs (a single newline is a line break),
"- " bullets, "#" headings, `[text](url)` links and bare URLs. The hidden marker line
`<!-- aiops:KEY -->` becomes a visible, greyed line "aiops:KEY" (Jira drops HTML comments), and
find_comment looks for that text.
"""

from __future__ import annotations

import re

from aiops.adapters.trackers.writes import hidden_marker_line

MARKER_COLOR = "#97a0af"  # Jira's subtle grey
_LINK = re.compile(
    r"\[(?P<text>[^\]\n]+)\]\((?P<url>https?://[^)\s]+)\)|(?P<bare>https?://[^\s<>)\]]+)"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")

Node = dict[str, object]


def _blocks(markdown: str) -> list[list[str]]:
    """Runs of non-blank lines; a marker line is a block of its own."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if not line.strip() or hidden_marker_line(line):
            if current:
                blocks.append(current)
                current = []
            if line.strip():
                blocks.append([line])
            continue
        current.append(line.rstrip())
    if current:
        blocks.append(current)
    return blocks


def _inline(text: str) -> list[Node]:
    nodes: list[Node] = []
    at = 0
    for match in _LINK.finditer(text):
        if match.start() > at:
            nodes.append({"type": "text", "text": text[at : match.start()]})
        url = match["url"] or match["bare"]
        label = match["text"] or url
        nodes.append(
            {"type": "text", "text": label, "marks": [{"type": "link", "attrs": {"href": url}}]}
        )
        at = match.end()
    if at < len(text):
        nodes.append({"type": "text", "text": text[at:]})
    return nodes


def _paragraph(lines: list[str]) -> Node:
    content: list[Node] = []
    for n, line in enumerate(lines):
        if n:
            content.append({"type": "hardBreak"})
        content.extend(_inline(line))
    return {"type": "paragraph", "content": content}


def markdown_to_adf(markdown: str) -> Node:
    content: list[Node] = []
    for block in _blocks(markdown):
        marker = hidden_marker_line(block[0])
        if marker:
            mark = {"type": "textColor", "attrs": {"color": MARKER_COLOR}}
            text: Node = {"type": "text", "text": marker, "marks": [mark]}
            content.append({"type": "paragraph", "content": [text]})
            continue
        pending: list[str] = []
        items: list[str] = []
        for line in block:
            heading = _HEADING.match(line)
            bullet = _BULLET.match(line)
            if (heading or not bullet) and items:
                content.append(_bullets(items))
                items = []
            if (heading or bullet) and pending:
                content.append(_paragraph(pending))
                pending = []
            if heading:
                level = len(heading[1])
                node: Node = {
                    "type": "heading",
                    "attrs": {"level": level},
                    "content": _inline(heading[2]),
                }
                content.append(node)
            elif bullet:
                items.append(bullet[1])
            else:
                pending.append(line)
        if items:
            content.append(_bullets(items))
        if pending:
            content.append(_paragraph(pending))
    return {"type": "doc", "version": 1, "content": content}


def _bullets(items: list[str]) -> Node:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [_paragraph([item])]} for item in items],
    }


def markdown_to_wiki(markdown: str) -> str:
    lines: list[str] = []
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        marker = hidden_marker_line(raw)
        if marker:
            lines.append(f"{{color:{MARKER_COLOR}}}{marker}{{color}}")
            continue
        heading = _HEADING.match(raw)
        bullet = _BULLET.match(raw)
        line = raw
        if heading:
            line = f"h{len(heading[1])}. {heading[2]}"
        elif bullet:
            line = f"* {bullet[1]}"
        lines.append(_LINK.sub(_wiki_link, line))
    return "\n".join(lines)


def _wiki_link(match: re.Match[str]) -> str:
    if match["bare"]:
        return match["bare"]
    return f"[{match['text'].replace('|', '/')}|{match['url']}]"
