"""summary.md as a Jira comment: Atlassian Document Format (Cloud, v3) or wiki text (v2).

Parses only the Markdown subset :mod:`reportgen.core.markdown` writes: ``#`` headings, pipe
tables, ``- `` bullets, paragraphs, inline code and backslash escapes. Text always ends up
as text nodes (ADF) or escaped characters (wiki), never as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# An inline piece: code span, or an escaped character, or a run of plain characters.
_INLINE = re.compile(r"`([^`]*)`|\\(.)|([^`\\]+|[`\\])")
_RULE = re.compile(r"^\|(\s*-+:?\s*\|)+$")


@dataclass(frozen=True)
class Span:
    text: str
    code: bool = False


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | bullets | table
    level: int = 0
    lines: tuple[tuple[Span, ...], ...] = ()  # paragraph: 1 line; bullets: one per item
    rows: tuple[tuple[tuple[Span, ...], ...], ...] = ()  # table: rows of cells


def spans(text: str) -> tuple[Span, ...]:
    """Code spans, and the text between them with its escapes read. The text is joined
    once: joined at each escape, a 4 MB summary of escapes took 90 s before it was sent
    (60d)."""
    found: list[Span] = []
    pieces: list[str] = []
    for match in _INLINE.finditer(text):
        code, escaped, plain = match.groups()
        if code is None:
            pieces.append(escaped if escaped is not None else plain)
            continue
        if pieces:
            found.append(Span("".join(pieces)))
            pieces.clear()
        found.append(Span(code, code=True))
    if pieces:
        found.append(Span("".join(pieces)))
    return tuple(found)


def _cells(line: str) -> list[str]:
    """Split a table row on unescaped pipes."""
    cells, current, escaped = [], [], False
    for char in line.strip()[1:-1]:
        if char == "|" and not escaped:
            cells.append("".join(current).strip())
            current.clear()
            continue
        escaped = char == "\\" and not escaped
        current.append(char)
    cells.append("".join(current).strip())
    return cells


def parse(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", markdown.strip()):
        lines = chunk.splitlines()
        first = lines[0]
        if first.startswith("#"):
            level = len(first) - len(first.lstrip("#"))
            blocks.append(
                Block("heading", level=min(level, 6), lines=(spans(first[level:].strip()),))
            )
        elif first.startswith("|"):
            rows = [
                tuple(spans(c) for c in _cells(line)) for line in lines if not _RULE.match(line)
            ]
            blocks.append(Block("table", rows=tuple(rows)))
        elif first.startswith("- "):
            blocks.append(Block("bullets", lines=tuple(spans(line[2:]) for line in lines)))
        else:
            blocks.append(Block("paragraph", lines=(spans(" ".join(lines)),)))
    return blocks


# ----------------------------------------------------------------------------- ADF (v3)


def _adf_text(items: tuple[Span, ...]) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": s.text, **({"marks": [{"type": "code"}]} if s.code else {})}
        for s in items
        if s.text
    ]


def _adf_paragraph(items: tuple[Span, ...]) -> dict[str, Any]:
    return {"type": "paragraph", "content": _adf_text(items)}


def _adf_table(block: Block) -> dict[str, Any]:
    def row(cells: tuple[tuple[Span, ...], ...], kind: str) -> dict[str, Any]:
        return {
            "type": "tableRow",
            "content": [{"type": kind, "content": [_adf_paragraph(c)]} for c in cells],
        }

    header, *body = block.rows
    return {
        "type": "table",
        "content": [row(header, "tableHeader"), *(row(r, "tableCell") for r in body)],
    }


def _adf_block(block: Block) -> dict[str, Any]:
    if block.kind == "heading":
        return {
            "type": "heading",
            "attrs": {"level": block.level},
            "content": _adf_text(block.lines[0]),
        }
    if block.kind == "table":
        return _adf_table(block)
    if block.kind == "bullets":
        items = [{"type": "listItem", "content": [_adf_paragraph(line)]} for line in block.lines]
        return {"type": "bulletList", "content": items}
    return _adf_paragraph(block.lines[0])


def to_adf(markdown: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [_adf_block(b) for b in parse(markdown)]}


# ---------------------------------------------------------------------------- wiki (v2)

_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_+\-^~?!#])")


def _wiki_text(items: tuple[Span, ...]) -> str:
    parts = []
    for s in items:
        if s.code:  # ids, paths and hashes: drop the few characters that end a {{...}}
            parts.append("{{" + re.sub(r"[{}|\\]", "", s.text) + "}}")
        else:
            parts.append(_WIKI_SPECIAL.sub(r"\\\1", s.text))
    return "".join(parts)


def _wiki_block(block: Block) -> str:
    if block.kind == "heading":
        return f"h{block.level}. {_wiki_text(block.lines[0])}"
    if block.kind == "table":
        header, *body = block.rows
        lines = ["||" + "||".join(_wiki_text(c) for c in header) + "||"]
        lines += ["|" + "|".join(_wiki_text(c) or " " for c in row) + "|" for row in body]
        return "\n".join(lines)
    if block.kind == "bullets":
        return "\n".join("* " + _wiki_text(line) for line in block.lines)
    return _wiki_text(block.lines[0])


def to_wiki(markdown: str) -> str:
    return "\n\n".join(_wiki_block(b) for b in parse(markdown)) + "\n"
