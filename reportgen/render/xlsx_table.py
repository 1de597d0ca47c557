"""One data sheet = one table: styled header, streamed rows, widths, filter, frozen header.

Plus the rules a table can carry: owner and RACI colours (conditional formatting, so they
follow edits) and drop-down lists (data validation, so edits keep the vocabulary).
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule, Rule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reportgen.core.openpyxl_private import WriteOnlyWorksheet
from reportgen.core.owners import OWNER_COLOURS, OWNER_LABELS, OWNER_ORDER
from reportgen.render.xlsx_stream import RowWriter, splice_rows
from reportgen.render.xlsx_style import (
    ALERT_COLOURS,
    LINE_POINTS,
    RACI_COLOURS,
    STATUS_COLOURS,
    WIDTH_CAP,
    CellMaker,
    PrintInfo,
    column_mm,
    lines_needed,
    print_setup,
    row_height,
    set_widths,
    text_width,
)

_CHUNK = 10_000
# A vertical header in 11 pt bold Calibri: points along the text per character (a safe
# average) and points across per line.
ROTATED_CHAR_POINTS = 6.5
ROTATED_LINE_POINTS = 15
ROTATED_LINES = 2
# Cell style of each column kind; "text" becomes "wrap" when a value is wider than its column.
_KIND_STYLE = {
    "text": "text",
    "wrap": "wrap",
    "center": "center",
    "number": "number",
    "owner": "center",
    "raci": "center",
    "status": "center",
    "small": "small",
    "input": "input",  # a column the team fills in (evidence tracker)
    "date": "input_date",
}


@dataclass(frozen=True)
class Column:
    header: str
    # text | wrap | small | center | number | owner | raci | status | input | date
    kind: str = "text"
    width: float | None = None  # None: fit to the content
    minimum: float = 6
    rotated: bool = False  # narrow column with a vertical header
    cap: float = WIDTH_CAP  # widest fitted width; longer text wraps


@dataclass
class Table:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] | None = None  # None: measured from rows (then a list)
    freeze: str = "A2"
    dense: bool = False  # big sheets: streamed as XML, bare cells unless a value needs a style
    max_lines: int = 27  # rows grow to show this many lines of wrapped text at most
    # Wide sheets: streamed as XML with every column's style (the same cells, a fraction of
    # the time). A streamed sheet is closed by write_table, so it must take its rules here.
    streamed: bool = False
    rules: Callable[[Written], None] | None = None  # conditional formats, drop-downs


@dataclass(frozen=True)
class Written:
    ws: WriteOnlyWorksheet
    rows: int  # data rows, below the header

    @property
    def last_row(self) -> int:
        return self.rows + 1

    def column_range(self, index: int) -> str:
        """A1-style range of the data cells of column ``index`` (0-based)."""
        letter = get_column_letter(index + 1)
        return f"{letter}2:{letter}{max(self.last_row, 2)}"

    def block_range(self, first: int, last: int) -> str:
        start, end = get_column_letter(first + 1), get_column_letter(last + 1)
        return f"{start}2:{end}{max(self.last_row, 2)}"


def measure(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> list[float]:
    """Column widths fitted to header and content (rotated headers need no width).

    Works through the rows in chunks, column by column, so a 100,000-row inventory is
    measured at C speed: ``len`` first, the exact longest line only when a chunk raises it.
    """
    longest = [0 if c.rotated else text_width(c.header) + 1 for c in columns]
    source = iter(rows)
    while chunk := list(itertools.islice(source, _CHUNK)):
        for index, values in enumerate(zip(*chunk, strict=True)):
            if max(map(len, map(str, values))) > longest[index]:
                longest[index] = max(longest[index], *map(text_width, values))
    return [
        column.width if column.width is not None else max(column.minimum, min(column.cap, size + 2))
        for column, size in zip(columns, longest, strict=True)
    ]


def write_table(wb: Workbook, make: CellMaker, info: PrintInfo, table: Table) -> Written:
    ws = wb.create_sheet(table.title)
    rows = table.rows
    if table.widths is None:
        rows = list(rows)
    widths = list(table.widths) if table.widths is not None else measure(table.columns, rows)
    set_widths(ws, widths)
    ws.freeze_panes = table.freeze
    print_setup(ws, info, widths=widths, title_columns=_title_columns(table.freeze))
    if table.dense or table.streamed:
        return _stream(ws, make, table, widths)
    ws.row_dimensions[1].height = _header_height(table.columns, widths)
    ws.append(
        [make(ws, c.header, "header_rotated" if c.rotated else "header") for c in table.columns]
    )
    styles = [_KIND_STYLE[c.kind] for c in table.columns]
    count = 0
    for row in rows:
        count += 1
        cells = _cell_styles(row, styles, widths)
        height = row_height(cells, table.max_lines)
        if height:
            ws.row_dimensions[count + 1].height = height
        ws.append([make(ws, value, style) for value, style, _ in cells])
    last = get_column_letter(len(table.columns))
    ws.auto_filter.ref = f"A1:{last}{count + 1}"
    written = Written(ws, count)
    if table.rules is not None:
        table.rules(written)
    return written


def _stream(
    ws: WriteOnlyWorksheet, make: CellMaker, table: Table, widths: Sequence[float]
) -> Written:
    """A dense or streamed table's rows go out as XML from :class:`RowWriter` (the same
    cells openpyxl would write, a fraction of the time); openpyxl writes the rest of the
    sheet, which is closed on return: its rules and validations come from ``table.rules``."""
    with tempfile.TemporaryFile() as out:
        wrapping = [c.kind == "text" for c in table.columns]
        writer = RowWriter(ws, make, out, widths, wrapping, table.max_lines)
        headers = [c.header for c in table.columns]
        styles = ["header_rotated" if c.rotated else "header" for c in table.columns]
        writer.header(headers, styles, _header_height(table.columns, widths))
        if table.dense:
            for row in table.rows:
                writer.data(row)
        else:
            kinds = [_KIND_STYLE[c.kind] for c in table.columns]
            for row in table.rows:
                writer.styled(_cell_styles(row, kinds, widths))
        writer.flush()
        written = Written(ws, writer.count - 1)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{written.last_row}"
        if table.rules is not None:
            table.rules(written)
        ws.close()
        splice_rows(ws, out)
    return written


def _title_columns(freeze: str) -> str | None:
    """The columns left of the frozen pane ("B2" -> "A:A"), repeated on printed pages."""
    letters = "".join(ch for ch in freeze if ch.isalpha())
    index = column_index_from_string(letters) if letters else 1
    return f"A:{get_column_letter(index - 1)}" if index > 1 else None


def _header_height(columns: Sequence[Column], widths: Sequence[float]) -> float:
    rotated = [
        rotated_height(c.header, w) for c, w in zip(columns, widths, strict=True) if c.rotated
    ]
    flat = ((c.header, "header", w) for c, w in zip(columns, widths, strict=True) if not c.rotated)
    return max([*rotated, row_height(flat) or LINE_POINTS + 5])


def rotated_height(text: str, width: float) -> float:
    """Row height (points) that shows a vertical header whole in a column ``width``
    characters wide: wrapped onto as many lines as the column holds side by side (two at
    most, which every column here holds, so Excel and LibreOffice agree), each line as long
    as the text then needs and never shorter than its longest word."""
    lines = min(ROTATED_LINES, max(1, int(column_mm(width) / 25.4 * 72 / ROTATED_LINE_POINTS)))
    per_line = max(map(len, text.split()), default=1)
    while lines_needed(text, per_line / 1.1 + 1) > lines:  # lines_needed's column units
        per_line += 1
    return ROTATED_CHAR_POINTS * per_line + 14


def _cell_styles(
    row: Sequence[Any], styles: Sequence[str], widths: Sequence[float]
) -> list[tuple[Any, str | None, float]]:
    """(value, style, width) per cell: text wider than its column wraps."""
    cells = []
    for value, style, width in zip(row, styles, widths, strict=True):
        wraps = style == "text" and isinstance(value, str) and len(value) > width
        cells.append((value, "wrap" if wraps else style, width))
    return cells


def _dxf(fill: str, text: str, bold: bool = False) -> DifferentialStyle:
    return DifferentialStyle(
        font=Font(color=text, bold=bold),
        fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
    )


def colour_owners(ws: WriteOnlyWorksheet, ref: str) -> None:
    """Owner colours for cells whose text starts with an owner label ("Third party (X)")."""
    top_left = ref.split(":")[0]
    for owner in OWNER_ORDER:
        label = OWNER_LABELS[owner]
        rule = Rule(
            type="beginsWith",
            operator="beginsWith",
            text=label,
            formula=[f'LEFT({top_left},{len(label)})="{label}"'],
            dxf=_dxf(*OWNER_COLOURS[owner]),
        )
        ws.conditional_formatting.add(ref, rule)


def colour_raci(ws: WriteOnlyWorksheet, ref: str) -> None:
    for letter, colours in RACI_COLOURS.items():
        rule = CellIsRule(operator="equal", formula=[f'"{letter}"'])
        rule.dxf = _dxf(*colours, bold=True)
        ws.conditional_formatting.add(ref, rule)


def colour_status(ws: WriteOnlyWorksheet, ref: str) -> None:
    for status, colours in STATUS_COLOURS.items():
        rule = CellIsRule(operator="equal", formula=[f'"{status}"'])
        rule.dxf = _dxf(*colours)
        ws.conditional_formatting.add(ref, rule)


def flag_accountable(ws: WriteOnlyWorksheet, ref: str, roles: str) -> None:
    """Turn the cells of ``ref`` red on rows whose role cells ``roles`` lack exactly one A.

    ``roles`` is the role block of the first data row, e.g. ``E2:J2``.
    """
    block = _absolute_columns(roles)
    rule = FormulaRule(
        formula=[f'COUNTIF({block},"A")+COUNTIF({block},"A/R")<>1'],
        font=Font(color=ALERT_COLOURS[1], bold=True),
        fill=PatternFill(
            start_color=ALERT_COLOURS[0], end_color=ALERT_COLOURS[0], fill_type="solid"
        ),
        stopIfTrue=True,
    )
    ws.conditional_formatting.add(ref, rule)


def _absolute_columns(ref: str) -> str:
    """``E2:J2`` -> ``$E2:$J2``: columns fixed, row relative."""
    return ":".join("$" + part for part in ref.split(":"))


def drop_down(
    ws: WriteOnlyWorksheet, ref: str, values: Sequence[str], title: str, prompt: str
) -> DataValidation:
    """A list validation over ``ref``; blank allowed. ``values`` are our constants."""
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=title,
        error=f"Choose one of: {', '.join(values)} (or leave the cell empty).",
        showInputMessage=True,
        promptTitle=title,
        prompt=prompt,
    )
    validation.add(ref)
    ws.data_validations.append(validation)
    return validation
