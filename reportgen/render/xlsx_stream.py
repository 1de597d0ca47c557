"""The rows of a dense (streamed) table as SpreadsheetML, written without openpyxl's cells.

openpyxl's write-only mode spends about 13 µs on each cell (a WriteOnlyCell, then lxml
calls); the Inventory sheet of a 100,000-row estate holds 1.5 million cells in each
framework's workbook, which made it most of a large build. :class:`RowWriter` writes the
same XML openpyxl writes for these cells, byte for byte, a row at a time from a cached
template: inline strings, whole numbers, empty cells; bare, or with a cell maker style.

Nothing about safety changes: a row goes out bare only when :func:`plain_row` finds nothing
for :func:`safe_text` to change or flag (the check ``write_table`` makes); any other row is
written cell by cell with the text ``safe_text`` returns, and quoted text gets the quote
prefix style, so no cell can become a formula.

openpyxl still writes everything around the rows (columns, frozen panes, filter, print
setup): :func:`splice_rows` puts the rows into the sheet it wrote with an empty sheetData.
"""

from __future__ import annotations

import operator
import re
import shutil
from collections.abc import Sequence
from typing import IO, Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.dimensions import RowDimension

from reportgen.core.openpyxl_private import WriteOnlyWorksheet, written_sheet_path
from reportgen.render.xlsx_cells import plain_row, safe_text
from reportgen.render.xlsx_style import CellMaker, row_height

_BARE_TYPES = frozenset({str, int, type(None)})
_SEPARATOR = "\x00"  # joins a plain row's texts: plain_row guarantees none holds it
_FLUSH = 1 << 20  # characters buffered before a write


def escape(text: str) -> str:
    """Text content as lxml writes it (non-ASCII becomes a character reference on encoding)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _t(text: str) -> str:
    """The <t> element of an inline string; leading or trailing space is marked kept."""
    if text != text.strip():
        return f'<t xml:space="preserve">{escape(text)}</t>'
    return f"<t>{escape(text)}</t>"


class RowWriter:
    """Writes the rows of one sheet: a header row, then data rows, numbered from 1."""

    def __init__(
        self,
        ws: WriteOnlyWorksheet,
        make: CellMaker,
        out: IO[bytes],
        widths: Sequence[float],
        wrapping: Sequence[bool],
        max_lines: int,
    ) -> None:
        self.ws, self.make, self.out = ws, make, out
        self.widths, self.max_lines = list(widths), max_lines
        self.wrapping = list(wrapping)  # columns whose text wraps when wider than the column
        self.letters = [get_column_letter(i + 1) for i in range(len(widths))]
        self.count = 0  # rows written
        self._buffer: list[str] = []
        self._size = 0
        self._templates: dict[tuple[type, ...], str] = {}
        self._styles: dict[tuple[str, bool], str] = {}

    # ------------------------------------------------------------ rows

    def header(self, headers: Sequence[str], styles: Sequence[str], height: float) -> None:
        self._row([(h, s) for h, s in zip(headers, styles, strict=True)], height)

    def data(self, row: Sequence[Any]) -> None:
        """One data row: bare cells when nothing needs care, else cell by cell."""
        types = tuple(map(type, row))
        if _BARE_TYPES.issuperset(types):
            texts = list(map(str, row))
            fits = not any(map(operator.gt, map(len, texts), self.widths))
            if fits and plain_row(texts):
                strings = [v for v, t in zip(row, types, strict=True) if t is str]
                if strings == list(map(str.strip, strings)):
                    self._plain(row, types, strings)
                else:  # some text keeps leading or trailing space: marked cell by cell
                    self._row([(v, None) for v in row], None, bare=True)
                return
        self._dense(row)

    def styled(self, cells: Sequence[tuple[Any, str | None, float]]) -> None:
        """One row of (value, style, width), each cell as the cell maker styles it."""
        self._row([(value, style) for value, style, _ in cells], row_height(cells, self.max_lines))

    def _plain(self, row: Sequence[Any], types: tuple[type, ...], strings: list[str]) -> None:
        """A row of safe text and numbers: one template, the texts escaped in one go."""
        self.count += 1
        template = self._templates.get(types)
        if template is None:
            template = self._templates[types] = self._template(types)
        if strings:
            escaped = iter(escape(_SEPARATOR.join(strings)).split(_SEPARATOR))
            values = [
                next(escaped) if t is str else v
                for v, t in zip(row, types, strict=True)
                if v is not None
            ]
        else:
            values = [v for v in row if v is not None]
        self._write(template.format(self.count, *values))

    def _template(self, types: tuple[type, ...]) -> str:
        """The row's XML with holes for the row number and the values: one per shape."""
        cells = []
        for letter, kind in zip(self.letters, types, strict=True):
            field = f"{{{len(cells) + 1}}}"
            if kind is str:
                cells.append(f'<c r="{letter}{{0}}" t="inlineStr"><is><t>{field}</t></is></c>')
            elif kind is int:
                cells.append(f'<c r="{letter}{{0}}" t="n"><v>{field}</v></c>')
        return '<row r="{0}">' + "".join(cells) + "</row>"

    def _dense(self, row: Sequence[Any]) -> None:
        """Bare cells, except on a row that wraps: every cell top-aligned there (the
        ``dense`` rule of write_table), and text made safe cell by cell."""
        long = [
            wrapping and isinstance(v, str) and len(v) > w
            for v, w, wrapping in zip(row, self.widths, self.wrapping, strict=True)
        ]
        if any(long):
            styled = [
                (v, "dense_wrap" if wraps else "dense_top")
                for v, wraps in zip(row, long, strict=True)
            ]
        else:
            styled = [(v, None) for v in row]
        cells = [(v, s, w) for (v, s), w in zip(styled, self.widths, strict=True)]
        self._row(styled, row_height(cells, self.max_lines))

    def _row(
        self, cells: list[tuple[Any, str | None]], height: float | None, bare: bool = False
    ) -> None:
        """A row cell by cell: through the cell maker's rules, or ``bare`` (values as they
        are, which only plain rows may be)."""
        self.count += 1
        number = self.count
        attributes = f' r="{number}"'
        if height:
            attributes = "".join(f' {k}="{v}"' for k, v in _row_attributes(number, height))
        parts = [f"<row{attributes}>"]
        cell = self._bare_cell if bare else self._cell
        for letter, (value, style) in zip(self.letters, cells, strict=False):
            parts.append(cell(f"{letter}{number}", value, style))
        parts.append("</row>")
        self._write("".join(parts))

    @staticmethod
    def _bare_cell(ref: str, value: Any, style: str | None) -> str:
        """A value appended as it is (openpyxl skips None, keeps an empty text)."""
        if value is None:
            return ""
        if isinstance(value, str):
            inner = f"<is>{_t(value)}</is>" if value else ""
            return f'<c r="{ref}" t="inlineStr">{inner}</c>'
        return f'<c r="{ref}" t="n"><v>{value}</v></c>'

    def _cell(self, ref: str, value: Any, style: str | None) -> str:
        """One cell as ``CellMaker`` makes it and openpyxl writes it."""
        if value is None or value == "":
            return f'<c r="{ref}"{self._style(style)} t="n"></c>' if style else ""
        if isinstance(value, str):
            text, quoted = safe_text(value)
            style_attr = self._style(style, quoted) if style or quoted else ""
            inner = f"<is>{_t(text)}</is>" if text else ""
            return f'<c r="{ref}"{style_attr} t="inlineStr">{inner}</c>'
        if type(value) is int:
            style_attr = self._style(style) if style else ""
            return f'<c r="{ref}"{style_attr} t="n"><v>{value}</v></c>'
        raise TypeError(f"a streamed table holds text and whole numbers, not {type(value)}")

    def _style(self, style: str | None, quoted: bool = False) -> str:
        """' s="N"': the workbook's index of the cell maker's style, registered on first use
        (as openpyxl registers a style when it writes the first cell that has it)."""
        key = (style or "plain", quoted)
        attribute = self._styles.get(key)
        if attribute is None:
            index = self.make.style_id(self.ws, style, quoted)
            attribute = self._styles[key] = f' s="{index}"'
        return attribute

    # ------------------------------------------------------------ output

    def _write(self, text: str) -> None:
        self._buffer.append(text)
        self._size += len(text)
        if self._size > _FLUSH:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered: ASCII, every other character as a reference, as lxml does."""
        self.out.write("".join(self._buffer).encode("ascii", "xmlcharrefreplace"))
        self._buffer, self._size = [], 0


def _row_attributes(number: int, height: float) -> list[tuple[str, str]]:
    """The <row> attributes openpyxl writes for a row of this height."""
    attributes = {"r": str(number)}
    attributes.update(RowDimension(None, index=number, ht=height))
    return list(attributes.items())


def splice_rows(ws: WriteOnlyWorksheet, rows: IO[bytes]) -> None:
    """Put the written rows into the sheet openpyxl wrote with an empty sheetData.

    The sheet must be closed (openpyxl wrote it to a file of its own) and its rows
    file flushed. The sheet is rewritten in place; the workbook then stores it as usual.
    """
    path = written_sheet_path(ws)
    xml = path.read_bytes()
    for empty in (b"<sheetData/>", b"<sheetData></sheetData>"):
        if xml.count(empty) == 1:
            head, tail = xml.split(empty)
            break
    else:
        raise ValueError(f"no empty sheetData in the sheet openpyxl wrote for {ws.title!r}")
    rows.seek(0)
    with path.open("wb") as target:
        target.write(head + b"<sheetData>")
        shutil.copyfileobj(rows, target, 1 << 20)
        target.write(b"</sheetData>" + tail)


def write_cached_values(ws: WriteOnlyWorksheet, values: dict[str, int | float]) -> None:
    """Save each formula's value at generation beside it (``<v>``), in the sheet openpyxl
    wrote: openpyxl writes a formula with an empty value, which a viewer that does not
    compute (Jira, Confluence and QuickLook previews) shows as blank. The sheet must be
    closed; ``values`` maps cell references ("C23") to numbers."""
    path = written_sheet_path(ws)
    xml = path.read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        value = values.get(match["ref"])
        if value is None:
            return match[0]
        return f"{match['head']}<v>{_number(value)}</v></c>"

    path.write_text(_FORMULA_CELL.sub(fill, xml), encoding="utf-8")


# A formula cell as openpyxl writes it: <c r="C23" ...><f>...</f><v/></c> (or <v></v>).
_FORMULA_CELL = re.compile(
    r'(?P<head><c r="(?P<ref>[A-Z]+\d+)"[^>]*><f>[^<]*</f>)<v(?:\s*/>|></v>)</c>'
)


def _number(value: int | float) -> str:
    """A number as SpreadsheetML stores it: whole numbers without a decimal point."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)
