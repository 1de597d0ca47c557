"""Safe cell text: nothing from the inventory or config ever becomes a formula or breaks a file.

Every string the workbook writer puts in a cell passes through :func:`safe_text`:

- characters Excel forbids in a cell (C0 control characters other than tab, line feed and
  carriage return), characters XML 1.0 cannot carry, and DEL, the C1 controls and the
  characters that reorder text or break a line (which the terminal and PDF show as
  escapes) are removed;
- text over Excel's limit of 32,767 characters is cut and ends with a visible marker;
- text that starts like a formula (``=``, ``+``, ``-``, ``@``, tab or carriage return) is
  flagged ``quoted``: the writer stores it as a text cell with Excel's *quote prefix* set,
  exactly what Excel records when someone types a leading apostrophe. The text stays as the
  user wrote it, is shown as text, and stays text when the cell is edited.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from reportgen.core.terminal import CELL_FORBIDDEN_CLASS, FORMULA_PREFIXES

MAX_CELL_CHARS = 32_767  # Excel's limit, in UTF-16 code units
TRUNCATION_MARKER = "… [truncated]"

# openpyxl's ILLEGAL_CHARACTERS_RE, plus what XML 1.0 cannot hold at all (lone surrogates,
# U+FFFE, U+FFFF): both would make openpyxl raise or write a file Excel must repair. And the
# characters the terminal and the PDF show as escapes (DEL, C1 controls such as CSI U+009B,
# bidirectional overrides, line separators), which a cell cannot show so: a file name
# '\u202eexe.txt' read reversed in the Inventory sheet (fourteenth adversarial pass).
_FORBIDDEN = re.compile(CELL_FORBIDDEN_CLASS)
# For whole rows joined with "\n": anything safe_text would change or flag. It may match
# more than that (a line inside a cell starting with "="), never less.
_NEEDS_CARE = re.compile(f"{CELL_FORBIDDEN_CLASS}|(?:^|\n)[-=+@\t\r]|_x[0-9A-Fa-f]{{4}}_")
# Excel and LibreOffice read '_x001B_' in a cell or a page header as the character U+001B:
# text that spells one is stored with its underscore escaped ('_x005F_' is '_'), so it
# shows as typed; left as it was, '_x001B_' came back as a real ESC and '_x003D_...' as a
# formula's '=' without the quote prefix (sixteenth adversarial pass).
_SPELLED_CHARACTER = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


class SafeText(NamedTuple):
    text: str
    quoted: bool  # starts like a formula: write as text with the quote prefix


def safe_text(value: str) -> SafeText:
    """The text to store for ``value``, and whether it must carry the quote prefix."""
    text = _FORBIDDEN.sub("", value)
    if "_x" in text:
        text = _SPELLED_CHARACTER.sub(r"_x005F_\1", text)
    if len(text) > MAX_CELL_CHARS // 2 and _utf16_len(text) > MAX_CELL_CHARS:
        text = _truncate(text)
    return SafeText(text, text.startswith(FORMULA_PREFIXES))


def plain_row(texts: list[str]) -> bool:
    """True when no text of the row needs safe_text to change or flag it (the fast path)."""
    return _NEEDS_CARE.search("\n".join(texts)) is None


def safe_plain(value: str) -> str:
    """Cleaned text for places that hold plain text only (page headers; document
    properties, which do not read '_xHHHH_', show its escape as typed: harmless)."""
    return safe_text(value).text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _truncate(text: str) -> str:
    budget = MAX_CELL_CHARS - len(TRUNCATION_MARKER)
    head = text[:budget]
    # Characters outside the BMP count twice in Excel's limit: drop half the excess in
    # characters each round, which never cuts below the budget.
    while (excess := _utf16_len(head) - budget) > 0:
        head = head[: len(head) - max(1, excess // 2)]
    return head + TRUNCATION_MARKER
