"""The issue-context block of an AGENTS.override.md: what an AI coding CLI reads about the
issue it works on, kept between two marker lines so the rest of the file stays the user's.

Pure functions on text. How a file is read:

- A *marker line* is a line that holds exactly `<!-- issue-context:start -->` or
  `<!-- issue-context:end -->`, give or take spaces and tabs around it. A marker inside other
  text on a line (or both markers on one line) is ordinary text.
- A start marker inside a fenced code block (``` or ~~~, CommonMark style: up to three spaces
  of indent, closed by a fence of the same character at least as long) is ordinary text, so a
  README can show the markers in an example.
- *The block* is the first well-formed pair: the first end marker line that follows a start
  marker line, paired with the nearest start marker line before it. Once a start marker is
  seen, fences are not tracked until its end marker (the block holds tracker text, which may
  open a fence and never close it). A start marker without an end, an end marker without a
  start, and every block after the first are ordinary text, left as they are.
- Everything outside the block's body survives every operation byte for byte: the marker
  lines themselves, CRLF line endings, a missing final newline, undecodable bytes (the file
  adapter reads them with surrogateescape).

When there is no block, `write` and `append` add one at the end of the file: a line ending
first when the file does not end with one, an empty line when the file is not empty, and a
closing fence when the file ends inside an unclosed code fence (so the new markers are not
read as part of it). The original text stays, unchanged, at the head of the result. A new
block's lines end like the file's first line (CRLF or LF); a block's body uses its start
marker's line ending. A marker line inside the issue's title, body or notes is written with a
leading backslash, so text from a tracker cannot end the block early.

What `render` puts in the block, in this order: `# Issue <id>`; the user's own notes under
their heading (trusted: the user wrote them); what aiops's users triaged (one line each);
when the block is written into an issue's worktree, aiops's instructions (work on this
branch, commit with messages that reference the issue, do not push); the review to address,
when a pull request's reviewers asked for changes (framed as untrusted data); then the
tracker's text (title, link, labels, description) framed as untrusted data by
`outside_text.frame`: a fixed heading and warning, then a fence the text cannot close. An
agent reads only the framing, the instructions and the notes as aiops's words; the
reviewers' and the tracker's text, headings and markers included, is the inside of a code
block.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from aiops.domain.errors import ValidationError
from aiops.domain.model.outside_text import (
    DEFAULT_MAX_BYTES,
    REVIEW,
    TRACKER,
    cap,
    frame,
    multiline,
    one_line,
)

START = "<!-- issue-context:start -->"
END = "<!-- issue-context:end -->"
FILENAME = "AGENTS.override.md"
NOTES_HEADING = "## Notes from the user"
TRIAGE_HEADING = "## Triage in aiops"
WORK_HEADING = "## How to work on this issue"
REVIEW_HEADING = "## Review to address"
REVIEW_FRAMING = f"## {REVIEW.heading}"
TRACKER_FRAMING = f"## {TRACKER.heading}"
# The lines where the user's notes end: `append` adds notes before the first.
_AFTER_NOTES = (TRIAGE_HEADING, WORK_HEADING, REVIEW_HEADING, TRACKER_FRAMING)
# What a commit message names an issue by, as aiops shows an example of it: "#12", "OPS-7".
_HASH_KEY = re.compile(r"#[0-9]{1,12}")
_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,49}-[0-9]{1,12}")
_TICKS = re.compile(r"`+")

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LINE_TRIM = " \t\r\n"


@attrs.frozen(kw_only=True)
class IssueContext:
    """What the block says about an issue: the id and title given, and what aiops has synced
    when it knows the issue (None and empty fields are left out)."""

    id: str
    title: str
    url: str | None = None
    provider: str | None = None
    key: str | None = None  # the tracker's number: "#12", "OPS-7"
    state: str | None = None
    labels: tuple[str, ...] = ()
    triage_status: str | None = None
    severity: str | None = None
    owner: str | None = None
    note: str | None = None
    body: str | None = None
    branch: str | None = None  # the worktree's branch, when written into one: the instructions
    # What reviewers asked on the issue's pull request (untrusted). None: whatever the block
    # has already (EditAgentContext keeps it); "": none.
    review: str | None = None


@attrs.frozen
class Block:
    """Where the block's body lies in the text: text[body_start:body_end]."""

    body_start: int
    body_end: int
    newline: str


def issue_id(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 100 or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise ValidationError("issue", "must be 1-100 printable characters without spaces")
    return text


def title(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 500 or any(not ch.isprintable() for ch in text):
        raise ValidationError("title", "must be 1-500 printable characters on one line")
    return text


def notes(value: str) -> str:
    if len(value) > 65_536 or "\x00" in value:
        raise ValidationError("notes", "must be at most 65536 characters, without NUL")
    return value.strip("\r\n")


def render(context: IssueContext, notes: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The block's body (LF line endings; `write` converts them to the file's): the issue's
    id, the user's own notes (trusted), what aiops's users triaged, then the tracker's text
    framed as untrusted data (see outside_text), its description capped at `max_bytes`."""
    parts = [f"# Issue {one_line(context.id)}"]
    if notes.strip():
        parts.append(f"{NOTES_HEADING}\n\n" + _lines(notes).strip("\n"))
    triage = [
        ("Triage", context.triage_status),
        ("Severity", context.severity),
        ("Owner", context.owner),
        ("Triage note", context.note),
    ]
    listed = [f"- {name}: {one_line(value)}" for name, value in triage if value]
    if listed:
        parts.append(f"{TRIAGE_HEADING}\n\n" + "\n".join(listed))
    if context.branch:
        parts.append(instructions(context.branch, context.key))
    if context.review and context.review.strip():
        parts.append(
            f"{REVIEW_HEADING}\n\nReviewers asked for changes on this branch's pull request. "
            "Address them here, commit, and do not push: aiops pushes and updates the pull "
            "request.\n\n" + frame(REVIEW, cap(multiline(context.review), max_bytes))
        )
    parts.append(frame(TRACKER, tracker_text(context, max_bytes)))
    return _defuse("\n\n".join(parts)) + "\n"


def instructions(branch: str, key: str | None) -> str:
    """aiops's own words to an agent in an issue's worktree (trusted): its branch, how to
    name the issue in commit messages, and that aiops pushes. The tracker's key appears here
    only when it has the shape of one ("#12", "OPS-7")."""
    if key and _HASH_KEY.fullmatch(key):
        example = f"e.g. {_code('Fix the login redirect (' + key + ')')}"
    elif key and _JIRA_KEY.fullmatch(key):
        example = f"e.g. {_code(key + ': Fix the login redirect')}"
    else:
        example = "by its key on the tracker"
    return (
        f"{WORK_HEADING}\n\n"
        f"- Work on the branch {_code(one_line(branch))}, checked out in this worktree; do not "
        "switch to another branch.\n"
        f"- Commit your changes with messages that reference the issue, {example}.\n"
        "- Do not push and do not open a pull request: aiops pushes the branch and opens the "
        "pull request."
    )


def review_in(text: str | None) -> str | None:
    """The review text of the file's block (what `render` framed under the review heading),
    or None when the block has none."""
    found = find_block(text or "")
    if found is None:
        return None
    lines = _lines((text or "")[found.body_start : found.body_end]).split("\n")
    try:
        start = lines.index(REVIEW_HEADING)
        framing = lines.index(REVIEW_FRAMING, start)
    except ValueError:
        return None
    if TRACKER_FRAMING in lines[:start]:
        return None  # a heading inside the tracker's text is not the block's review
    opening = next((i for i in range(framing + 1, len(lines)) if lines[i].startswith("```")), None)
    if opening is None:
        return None
    fence = lines[opening][: len(lines[opening]) - len(lines[opening].lstrip("`"))]
    try:
        closing = lines.index(fence, opening + 1)
    except ValueError:
        return None
    return "\n".join(lines[opening + 1 : closing])


def _code(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks it holds."""
    if "`" not in text:
        return f"`{text}`"
    ticks = "`" * (max(len(run) for run in _TICKS.findall(text)) + 1)
    return f"{ticks} {text} {ticks}"


def tracker_text(context: IssueContext, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """What the tracker said about the issue: one line each for its title, link, number,
    state and labels, then its description (capped)."""
    facts = [
        ("Title", context.title),
        ("Link", context.url),
        ("Tracker", " ".join(p for p in (context.provider, context.key) if p) or None),
        ("State", context.state),
        ("Labels", ", ".join(one_line(label) for label in context.labels) or None),
    ]
    text = "\n".join(f"{name}: {one_line(value)}" for name, value in facts if value)
    body = multiline(context.body or "").strip("\n")
    if body.strip():
        text += "\n\n" + cap(body, max_bytes)
    return text


def find_block(text: str) -> Block | None:
    """The first well-formed block (see the module docstring), or None."""
    start: tuple[int, str] | None = None  # the candidate's body offset and line ending
    fence: str | None = None
    for offset, line in _split(text):
        content = line.strip(_LINE_TRIM)
        if start is not None:
            if content == START:
                start = (offset + len(line), _ending(line))
            elif content == END:
                return Block(start[0], offset, start[1])
        elif fence is not None:
            fence = _after_fence_line(fence, line)
        elif content == START and line.endswith("\n"):
            start = (offset + len(line), _ending(line))
        else:
            fence = _opened_fence(line)
    return None


def write(existing: str | None, block: str) -> str:
    """`existing` with the block's body replaced by `block` (from `render`)."""
    text = existing or ""
    found = find_block(text)
    if found is None:
        return _add_block(text, block)
    return text[: found.body_start] + _with(block, found.newline) + text[found.body_end :]


def append(existing: str | None, notes: str) -> str:
    """`existing` with `notes` added to the user's notes: before the block's triage and
    tracker sections (under the notes heading, added when missing), else at the end of the
    block, after an empty line."""
    text = existing or ""
    found = find_block(text)
    addition = _defuse(_lines(notes).strip("\n")) + "\n"
    if found is None:
        return _add_block(text, addition)
    body = text[found.body_start : found.body_end]
    boundary = _trusted_end(body)
    if boundary is not None:
        head, tail = body[:boundary], body[boundary:]
        if not any(line.strip(_LINE_TRIM) == NOTES_HEADING for _, line in _split(head)):
            addition = f"{NOTES_HEADING}\n\n{addition}"
        merged = head + _with(addition, found.newline) + found.newline + tail
    else:
        separator = found.newline if body.strip() else ""  # a body ends with its line ending
        merged = body + separator + _with(addition, found.newline)
    return text[: found.body_start] + merged + text[found.body_end :]


def _trusted_end(body: str) -> int | None:
    """Where the first section after the user's notes starts in a block's body."""
    for offset, line in _split(body):
        if line.strip(_LINE_TRIM) in _AFTER_NOTES:
            return offset
    return None


def clear(existing: str) -> str:
    """`existing` with an empty block (the markers stay); unchanged when it has none."""
    found = find_block(existing)
    if found is None:
        return existing
    return existing[: found.body_start] + existing[found.body_end :]


def _add_block(text: str, body: str) -> str:
    newline = _first_ending(text)
    head = text
    if head and not head.endswith("\n"):
        head += newline
    fence = _fence_at_end(head)
    if fence is not None:
        head += fence + newline
    if head:
        head += newline
    return head + START + newline + _with(body, newline) + END + newline


def _split(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line with its ending) for each line; only LF ends a line (CRLF is LF with a
    CR before it; a lone CR or a Unicode separator is ordinary text)."""
    offset = 0
    while offset < len(text):
        stop = text.find("\n", offset)
        end = len(text) if stop < 0 else stop + 1
        yield offset, text[offset:end]
        offset = end


def _ending(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n"


def _first_ending(text: str) -> str:
    stop = text.find("\n")
    return "\r\n" if stop > 0 and text[stop - 1] == "\r" else "\n"


def _opened_fence(line: str) -> str | None:
    match = _FENCE.match(line)
    if match is None:
        return None
    fence = match.group(1)
    if fence[0] == "`" and "`" in line[match.end() :]:
        return None  # CommonMark: a backtick fence's info string holds no backtick
    return fence


def _after_fence_line(fence: str, line: str) -> str | None:
    """The open fence after `line`: None when the line closes it."""
    match = _FENCE.match(line)
    if match is None or line[match.end() :].strip(_LINE_TRIM):
        return fence
    closing = match.group(1)
    return None if closing[0] == fence[0] and len(closing) >= len(fence) else fence


def _fence_at_end(text: str) -> str | None:
    """The fence still open at the end of `text` outside any start marker (None when closed
    or when a start marker is pending: then fences are not tracked)."""
    fence: str | None = None
    for _, line in _split(text):
        if fence is not None:
            fence = _after_fence_line(fence, line)
        elif line.strip(_LINE_TRIM) == START and line.endswith("\n"):
            return None
        else:
            fence = _opened_fence(line)
    return fence


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _with(body: str, newline: str) -> str:
    return body if newline == "\n" else body.replace("\n", newline)


def _defuse(text: str) -> str:
    """A backslash before any line that would read as a marker."""
    return "\n".join(
        "\\" + line if line.strip(_LINE_TRIM) in (START, END) else line for line in text.split("\n")
    )
