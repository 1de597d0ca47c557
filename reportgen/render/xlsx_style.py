"""Workbook look: the palette, named cell styles, column widths, print setup.

Cells are written in openpyxl's write-only (streaming) mode, where a style must travel with
each cell. :class:`CellMaker` builds every cell from a value and a style name; all text goes
through :func:`~reportgen.render.xlsx_cells.safe_text` on the way, so no sheet can write a
string any other way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from reportgen.core.openpyxl_private import WriteOnlyWorksheet
from reportgen.core.owners import OWNER_COLOURS
from reportgen.render.xlsx_cells import safe_plain, safe_text

INK = "232F3E"  # header fill: dark slate, white bold text on it
MUTED = "5F6B7A"
RULE = "C9CED6"
WIDTH_CAP = 60  # characters; longer text wraps
LINE_POINTS = 15  # row height of one line of 11pt text
FONT = "Calibri"  # always named: a font without a name renders in some serif elsewhere

# R/A/C/I colours: Accountable strongest, Informed faintest; (fill, text).
RACI_COLOURS: dict[str, tuple[str, str]] = {
    "A/R": ("1F4E79", "FFFFFF"),
    "A": ("2E75B6", "FFFFFF"),
    "R": ("BDD7EE", "1F3864"),
    "C": ("FFE699", "5C4300"),
    "I": ("EDEDED", "404040"),
}
# Evidence statuses (reportgen.ownership.evidence_vocabulary), by their workbook labels.
STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "Not started": ("EDEDED", "404040"),
    "Requested": ("FFE699", "5C4300"),
    "Collected": ("BDD7EE", "1F3864"),
    "Accepted": ("C6EFCE", "14532D"),
    "Not applicable": ("F5F5F5", "6B6B6B"),
}
INPUT_FILL = "FFFBEA"  # the columns a team fills in (evidence tracker)
ALERT_COLOURS = ("C00000", "FFFFFF")

_THIN = Side(style="thin", color=RULE)
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(vertical="top")
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)


def _font(**kwargs: Any) -> Font:
    return Font(name=FONT, size=kwargs.pop("size", 11), **kwargs)


def _fill(rgb: str) -> PatternFill:
    return PatternFill("solid", fgColor=rgb)


def _header(rotated: bool = False) -> dict[str, Any]:
    alignment = (
        Alignment(text_rotation=90, horizontal="center", vertical="bottom", wrap_text=True)
        if rotated
        else Alignment(vertical="center", wrap_text=True)
    )
    return {
        "font": _font(bold=True, color="FFFFFF"),
        "fill": _fill(INK),
        "alignment": alignment,
        "border": _GRID,
    }


def _swatch(fill: str, text: str, bold: bool = False) -> dict[str, Any]:
    return {
        "font": _font(color=text, bold=bold),
        "fill": _fill(fill),
        "alignment": Alignment(horizontal="center", vertical="top"),
        "border": _GRID,
    }


STYLES: dict[str, dict[str, Any]] = {
    "plain": {},
    "header": _header(),
    "header_rotated": _header(rotated=True),
    "text": {"alignment": _TOP, "border": _GRID},
    "wrap": {"alignment": _TOP_WRAP, "border": _GRID},
    # Dense (streamed) tables: no borders; styled only on rows that wrap.
    "dense_top": {"alignment": _TOP},
    "dense_wrap": {"alignment": _TOP_WRAP},
    "center": {"alignment": Alignment(horizontal="center", vertical="top"), "border": _GRID},
    "number": {"alignment": Alignment(horizontal="right", vertical="top"), "border": _GRID},
    "percent": {"alignment": _TOP, "border": _GRID, "number_format": "0%"},
    "bold_number": {"font": _font(bold=True), "alignment": _TOP, "border": _GRID},
    "bold": {"font": _font(bold=True), "alignment": _TOP, "border": _GRID},
    "title": {"font": _font(bold=True, size=16, color=INK)},
    "subtitle": {"font": _font(italic=True, color=MUTED)},
    "section": {
        "font": _font(bold=True, size=12, color=INK),
        "border": Border(bottom=Side(style="medium", color=INK)),
    },
    "label": {"font": _font(bold=True, color=INK), "alignment": _TOP},
    "value": {"alignment": Alignment(horizontal="left", vertical="top", wrap_text=True)},
    "note": {"font": _font(italic=True, color=MUTED), "alignment": _TOP_WRAP},
    "small": {"font": _font(size=9, color="404040"), "alignment": _TOP_WRAP, "border": _GRID},
    "input": {"alignment": _TOP_WRAP, "border": _GRID, "fill": _fill(INPUT_FILL)},
    "input_date": {
        "alignment": _TOP,
        "border": _GRID,
        "fill": _fill(INPUT_FILL),
        "number_format": "yyyy-mm-dd",
    },
    **{f"owner:{owner}": _swatch(*colours) for owner, colours in OWNER_COLOURS.items()},
    **{f"raci:{letter}": _swatch(*colours, bold=True) for letter, colours in RACI_COLOURS.items()},
    **{f"status:{name}": _swatch(*colours) for name, colours in STATUS_COLOURS.items()},
}


class Formula(str):
    """A formula the writer itself builds from constants and cell references.

    The only way a cell becomes a formula: a plain ``str`` never does. ``cached`` is its
    value at generation, saved with it so that a preview that computes nothing (Jira,
    Confluence, QuickLook) shows the figure rather than an empty cell.
    """

    cached: int | float | None

    def __new__(cls, text: str, cached: int | float | None = None) -> Formula:
        formula = super().__new__(cls, text)
        formula.cached = cached
        return formula


class CellMaker:
    """Builds write-only cells: safe text, one style per cell, shared style arrays."""

    def __init__(self) -> None:
        self._arrays: dict[tuple[int, str, bool], StyleArray] = {}

    def __call__(self, ws: WriteOnlyWorksheet, value: Any, style: str | None = None) -> Any:
        """A cell (or a bare value where no style is needed) for ``value``."""
        if value is None or value == "":
            return self._styled(ws, None, style) if style else None
        if isinstance(value, Formula):
            cell = self._styled(ws, None, style)
            cell.value = str(value)  # data type "f": built by us, never from input
            return cell
        if isinstance(value, str):
            text, quoted = safe_text(value)
            if not quoted and style is None:
                return text
            cell = self._styled(ws, None, style, quoted)
            cell.value = text
            cell.data_type = "s"  # openpyxl would make text starting with "=" a formula
            return cell
        return self._styled(ws, value, style) if style else value

    def style_id(self, ws: WriteOnlyWorksheet, style: str | None, quoted: bool = False) -> int:
        """The workbook's index of a style (registering it): for cells written as XML."""
        return self._styled(ws, None, style, quoted).style_id

    def _styled(
        self, ws: WriteOnlyWorksheet, value: Any, style: str | None, quoted: bool = False
    ) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value)
        key = (id(ws.parent), style or "plain", quoted)
        array = self._arrays.get(key)
        if array is None:
            for name, setting in STYLES[style or "plain"].items():
                setattr(cell, name, setting)
            if quoted:
                cell.quotePrefix = True
            array = self._arrays[key] = copy(cell._style)
        cell._style = copy(array)
        return cell


@dataclass(frozen=True)
class PrintInfo:
    """What every printed page carries in its header and footer, and its paper."""

    customer: str
    framework: str
    classification: str
    document_id: str
    paper_size: str = "A4"  # or "Letter" (config output.paper_size)


# Paper: ECMA-376 paperSize code and landscape printable width in mm (margins of 0.4 in).
PAPER = {"A4": (9, 297.0 - 2 * 10.16), "Letter": (1, 279.4 - 2 * 10.16)}
MIN_SCALE = 60  # a sheet that would print smaller than this is printed across pages
ACROSS_SCALE = 75  # the scale of a sheet printed across pages: 11 pt text prints at 8 pt


def column_mm(width: float) -> float:
    """Printed width of a column ``width`` characters wide: Excel's 7 px per character of
    11 pt Calibri plus 5 px of padding, at 96 px to the inch."""
    return (7 * width + 5) * 25.4 / 96


def fits_one_page_wide(widths: Sequence[float], paper_size: str) -> bool:
    """Whether the columns fit a landscape page's width at MIN_SCALE or more."""
    printable = PAPER.get(paper_size, PAPER["A4"])[1]
    return sum(map(column_mm, widths)) * MIN_SCALE / 100 <= printable


def header_text(text: str, limit: int = 80) -> str:
    """Text safe inside an Excel header/footer, at most ``limit`` characters as written:
    '&' starts a code there, so it is doubled, and the cut counts the doubling (a name of
    ampersands cut first and doubled after made a 315-character header, past the 255 Excel
    allows for a whole header: fourteenth adversarial pass)."""
    clean = " ".join(safe_plain(text).split())
    if sum(map(_header_units, clean)) <= limit:
        return clean.replace("&", "&&")
    kept, used = [], 1  # the ellipsis
    for char in clean:
        used += _header_units(char)
        if used > limit:
            return "".join(kept).replace("&", "&&") + "…"
        kept.append(char)
    return clean.replace("&", "&&")


def _header_units(char: str) -> int:
    """What ``char`` counts for in Excel's limit: a doubled '&' two, a character past
    U+FFFF two (UTF-16, as Excel counts; emoji names passed 255: sixteenth pass)."""
    return 2 if char == "&" or ord(char) > 0xFFFF else 1


def print_setup(
    ws: WriteOnlyWorksheet,
    info: PrintInfo,
    title_rows: str | None = "1:1",
    widths: Sequence[float] | None = None,
    title_columns: str | None = None,
) -> None:
    """Landscape on the configured paper, header row repeated, running header and footer.

    A sheet whose columns (``widths``) fit one page wide at MIN_SCALE or more is fitted to
    one page wide; a wider one (36 columns of Controls x Services, the Inventory's ARNs) is
    printed across pages at ACROSS_SCALE, left to right then down, with its
    ``title_columns`` repeated on every page, rather than shrunk to 4 pt text.
    """
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER.get(info.paper_size, PAPER["A4"])[0]
    if widths is None or fits_one_page_wide(widths, info.paper_size):
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = ACROSS_SCALE
        ws.page_setup.pageOrder = "overThenDown"
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        if title_columns:
            ws.print_title_cols = title_columns
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    hf = ws.HeaderFooter
    # Excel allows 255 characters for a whole header or footer, its codes included.
    hf.oddHeader.left.text = f"{header_text(info.customer, 70)} · {header_text(info.framework, 50)}"
    hf.oddHeader.right.text = f"&B{header_text(info.classification, 40)}&B"
    hf.oddFooter.left.text = f"{header_text(info.document_id, 120)} · &A"
    hf.oddFooter.right.text = "Page &P of &N"
    for part in (hf.oddHeader.left, hf.oddHeader.right, hf.oddFooter.left, hf.oddFooter.right):
        part.size = 8
        part.color = MUTED


def set_widths(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    """Column widths in characters; must run before the first row is written."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = round(width, 1)


def text_width(value: Any) -> int:
    """Characters of the longest line of ``value`` as written."""
    if value is None:
        return 0
    if isinstance(value, Formula):
        return 8
    text = value if isinstance(value, str) else str(value)
    if "\n" in text:
        return max(len(line) for line in text.split("\n"))
    return len(text)


# Styles that wrap text, with their font size: their rows get a height that shows every line.
WRAPPING = {
    "wrap": 11,
    "dense_wrap": 11,
    "value": 11,
    "note": 11,
    "header": 11,
    "small": 9,
    "input": 11,
}


def lines_needed(value: Any, width: float, size: float = 11) -> int:
    """Lines ``value`` takes wrapped in a column ``width`` characters wide (a safe guess).

    Excel and LibreOffice grow a row for wrapped text only when they recalculate it, which
    neither does reliably on opening a file, so the writer sets heights itself, wrapping
    word by word as they do (a word longer than a line breaks anywhere).
    """
    if not isinstance(value, str) or not value:
        return 1
    # About 1.1 characters of 11pt text fit per width unit (one "0" wide), less a margin.
    per_line = max(1, int(width * 1.1 * 11 / size) - 1)
    return sum(_wrapped(part, per_line) for part in value.split("\n"))


def _wrapped(paragraph: str, per_line: int) -> int:
    lines, used = 1, 0
    for word in paragraph.split(" "):
        size = len(word)
        if used and used + 1 + size <= per_line:
            used += 1 + size
            continue
        if used:
            lines += 1
        extra = max(0, size - 1) // per_line  # an over-long word runs onto more lines
        lines += extra
        used = size - extra * per_line
    return lines


def row_height(cells: Iterable[tuple[Any, str | None, float]], max_lines: int = 27) -> float | None:
    """Height in points for a row of (value, style, width), or None for one line."""
    tallest = 0.0
    for value, style, width in cells:
        size = WRAPPING.get(style or "")
        if size:
            lines = min(lines_needed(value, width, size), max_lines)
            tallest = max(tallest, lines * size * LINE_POINTS / 11)
    return tallest + 3 if tallest > LINE_POINTS else None
