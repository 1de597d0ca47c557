"""The small Markdown subset reportgen writes (headings, paragraphs, bullets, pipe tables).

Every piece of text that came from a config, an inventory or a catalog goes through
:func:`escape`, so it stays text: a customer name like ``*Acme* | <b>`` never becomes
emphasis, a table column or markup. ``reportgen.tickets.markup`` reads this subset back to
turn a summary into a Jira comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportgen.core.terminal import visible

# '&' too: a name holding "&lt;b&gt;" showed as "<b>" wherever summary.md is rendered.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")


_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def escape(text: object) -> str:
    """Plain text safe inside a Markdown paragraph or table cell (one line), its control
    characters as escapes: summary.md kept a name's ESC, BEL and U+202E, which restyled
    a terminal it was printed on and went into ticket comments (ninth adversarial pass)."""
    flat = " ".join(visible(str(text)).split())
    return _SPECIAL.sub(r"\\\1", flat)


def code(text: object) -> str:
    """An inline code span, its control characters as escapes (an input's file name kept
    its ESC and U+202E in summary.md: twelfth adversarial pass); a backtick, which would end
    the span, is shown as a quote."""
    return "`" + " ".join(visible(str(text)).split()).replace("`", "'") + "`"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """A pipe table; ``right`` lists the columns to align right (numbers). Cells are
    already-escaped Markdown."""
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    lines = [_row(headers), _row(rule), *(_row(row) for row in rows)]
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    # A pipe ends a cell even inside a code span (GFM): escaped, as escape() escapes it in
    # text, or a file name "a|b" split the row and moved its size and SHA-256 a column on.
    return "| " + " | ".join(_UNESCAPED_PIPE.sub(r"\\|", cell) for cell in cells) + " |"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def number(value: int) -> str:
    return f"{value:,}"
