"""A workbook opened with openpyxl so that every cell reads as written in the file.

openpyxl reads a shared string (as Excel saves every string) with each ``x005F_`` cut
out of it, and an inline string (as reportgen writes them) as it stands; reportgen then
reads the file format's ``_xHHHH_`` spellings itself. A role named ``Ops_x0041_``,
saved by Excel as ``Ops_x005F_x0041_``, was read twice so, as ``OpsA``, and its own
column was not found (56a A7). Here shared strings are kept as written too, so both
kinds are read once, alike.

And a header that is text starting with '=' is not a formula: openpyxl gives both as
the same string, and only the cell's type tells them apart (56a A20); text whose number
format shows other text in its place (``;;;"Status"``) is marked, as it is not read as
shown (57a A2).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import IO, Any

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from reportgen.core.numformats import shows_text_as_is
from reportgen.core.openpyxl_private import read_only_sheet_source

_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


class Formula(str):
    """A cell's formula, as openpyxl gives it ('=H1'), told apart from text that starts
    with '='."""


class Disguised(str):
    """Text whose number format shows something else in its place."""

    number_format: str


def open_book(stream: IO[bytes]) -> Any:
    """The workbook in ``stream``, read-only, formulas as written, no links kept."""
    reader = _AsWritten(stream, read_only=True, data_only=False, keep_links=False)
    reader.read()
    return reader.wb


def typed_values(cells: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row's values (openpyxl's cells of ``iter_rows(values_only=False)``), a formula
    given as a :class:`Formula`, text its number format disguises as a :class:`Disguised`."""
    return tuple(map(_typed, cells))


def _typed(cell: Any) -> Any:
    value = cell.value
    if not isinstance(value, str):
        return value
    if getattr(cell, "data_type", None) == "f":
        return Formula(value)
    number_format = getattr(cell, "number_format", "General")
    if isinstance(number_format, str) and not shows_text_as_is(number_format):
        disguised = Disguised(value)
        disguised.number_format = number_format
        return disguised
    return value


def disguising_formats(book: Any) -> list[str]:
    """The number formats of the workbook's conditional formats that show a text cell
    otherwise than it holds: one can make any cell show as "Status" (58a)."""
    styles = getattr(getattr(book, "_differential_styles", None), "dxf", None) or []
    codes = [getattr(getattr(dxf, "numFmt", None), "formatCode", None) for dxf in styles]
    return [code for code in codes if isinstance(code, str) and not shows_text_as_is(code)]


def sheet_disguising_formats(book: Any) -> list[str]:
    """The number formats the worksheets hold themselves that show a text cell otherwise
    than it holds: Excel 2010's conditional formats keep theirs in the sheet's extension
    list, which openpyxl drops unread, so one made 'Requested' show as Accepted (72a). A
    cell's own formats live in the styles; a sheet holds no other."""
    found = []
    for ws in book.worksheets:
        with contextlib.suppress(SyntaxError), read_only_sheet_source(ws) as source:
            # damaged XML is the row reader's to report, naming the sheet
            found += [code for code in _number_formats(source) if not shows_text_as_is(code)]
    return found


def _number_formats(source: IO[bytes]) -> Iterator[str]:
    for _, node in iterparse(source):
        name = str(node.tag).rpartition("}")[2]
        if name == "numFmt" and isinstance(code := node.get("formatCode"), str):
            yield code
        elif name == "row":
            node.clear()  # its cells: memory stays with the rows' shells only


class _AsWritten(ExcelReader):
    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _string_table(source)


def _string_table(source: IO[bytes]) -> list[str]:
    """The shared strings as written: openpyxl's own reader without its cut."""
    strings = []
    for _, node in iterparse(source):
        if node.tag == _STRING_TAG:
            strings.append(Text.from_tree(node).content)
            node.clear()
    return strings
