"""Refusing a sheet whose rows openpyxl would drop without a word.

openpyxl's read-only reader gives a row only when its number is above the last one it
gave (``ReadOnlyWorksheet._cells_by_row``): a ``<row r="2">`` written after ``<row
r="40">``, a number written twice, or one of 0 or below is passed over, so the team's
edits in it were lost and the build went on (pass 46d). Of a column given twice in one row
(``<c r="N3">`` then another ``<c r="N3"/>``) it keeps the last, and an edit in the first
was lost the same way (pass 48d). Excel and LibreOffice write each row and cell once, in
order, so such a sheet is refused, naming the row or cell, before openpyxl reads it.

A row read without a width (a header row, read whole) openpyxl makes as wide as its last
cell written, not its rightmost: a header right of a cell written after it went unseen
(pass 53a). So the rightmost column of the first rows is noted too, to read them to.

The sheet's XML is streamed through the guard's part scanner (``xlsx_scan``), which hands
over regions of whole tags with comments, CDATA and processing instructions made text,
as ElementTree hides the tags inside them; only the ``<row>`` and ``<c>`` start tags are
read there.
"""

from __future__ import annotations

import html
import re
from typing import Any

from reportgen.core.errors import InputError, column_letter
from reportgen.core.openpyxl_private import read_only_sheet_source
from reportgen.inventory.xlsx_cells import attributes
from reportgen.inventory.xlsx_scan import (
    PartHasDtd,
    PartMalformed,
    PartScanner,
    PartTooBig,
    column_index,
)

_CHUNK = 1 << 20
# A <row> or <c> start tag with any prefix, to its '>' outside quotes: its name, attributes.
_TAG = re.compile(
    rb"<(?:[^ \t\r\n/<>:]*:)?(row|c)(?=[ \t\r\n/>])((?:[^<>\"']++|\"[^\"<]*+\"|'[^'<]*+')*+)>"
)
_COLUMN = re.compile(r"\$?([A-Za-z]{1,3})\$?[0-9]")  # openpyxl's coordinate, its letters
_RESAVE = (
    "Open the workbook in Excel or LibreOffice and save it again: they write each row and "
    "cell once, in order."
)


class _Dropped(Exception):
    """A row openpyxl would pass over: its number, and the last one's before it."""

    def __init__(self, number: int, previous: int) -> None:
        super().__init__(number, previous)
        self.number, self.previous = number, previous


class _CellTwice(Exception):
    """A column given twice in one row: openpyxl keeps the last of them."""

    def __init__(self, number: int, column: int) -> None:
        super().__init__(number, column)
        self.number, self.column = number, column


class _RowNumbers:
    """Follows the rows' numbers, and each row's columns, as openpyxl reads them, region
    by region."""

    def __init__(self, last: int, first: int) -> None:
        self.last, self.first = last, first
        self.widest = 0  # the rightmost column of the rows numbered up to ``first``
        self.previous = 0  # openpyxl gives rows from 1: a row numbered 0 or below is dropped
        self.done = False
        self.columns: set[int] = set()  # of the row under way
        self.column = 0  # the last cell's: a cell without a reference is the next

    def region(self, region: bytes) -> None:
        if self.done or (b"row" not in region and b"c" not in region):
            return
        for tag in _TAG.finditer(region):
            if tag.group(1) == b"c":
                self._cell(tag.group(2))
                continue
            number = self._number(tag.group(2))
            # Unreadable: openpyxl reports that row itself. Past the last row read: the
            # reader refuses the sheet there, whatever follows.
            if number is None or number > self.last:
                self.done = True
                return
            if number <= self.previous:
                raise _Dropped(number, self.previous)
            self.previous = number
            self.columns, self.column = set(), 0

    def _cell(self, raw: bytes) -> None:
        """Note the cell's column as openpyxl's parse_cell reads it (its ``r``, else the
        column after the last cell's); one an earlier cell of the row has raises."""
        found = attributes(raw.rstrip(b" \t\r\n").removesuffix(b"/"), (b"r",))
        if found is None:
            return  # not well-formed: openpyxl's parser stops there
        if b"r" in found:
            letters = _COLUMN.match(html.unescape(found[b"r"].decode("utf-8", "replace")))
            if letters is None:
                return  # openpyxl refuses the reference itself
            self.column = column_index(letters.group(1).upper().encode()) + 1
        else:
            self.column += 1
        if self.column in self.columns and self.previous > 0:
            raise _CellTwice(self.previous, self.column)
        self.columns.add(self.column)
        if 0 < self.previous <= self.first:
            self.widest = max(self.widest, self.column)

    def _number(self, raw: bytes) -> int | None:
        """The row's number: its ``r`` as openpyxl's parse_row reads it, else the previous
        number + 1; None when openpyxl cannot read it either."""
        found = attributes(raw.rstrip(b" \t\r\n").removesuffix(b"/"), (b"r",))
        if found is None:
            return None  # not well-formed: openpyxl's parser stops there
        if b"r" not in found:
            return self.previous + 1
        return _as_openpyxl(html.unescape(found[b"r"].decode("utf-8", "replace")))


def _as_openpyxl(value: str) -> int | None:
    """openpyxl's parse_row: int(), else a float that is whole."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def check_row_order(ws: Any, budget: int, last: int, shown: str, first: int = 0) -> int | None:
    """Refuse the read-only sheet ``ws`` when openpyxl would drop one of its rows; rows
    after the first numbered past ``last`` are not looked at (the reader stops there).
    ``budget`` is the guard's cell budget (``max_cell_xml_bytes``). The rightmost column
    (1-based) of the rows numbered up to ``first``, 0 for none; None when the sheet's tags
    could not be read here."""
    numbers = _RowNumbers(last, first)
    scanner = PartScanner(budget)
    scanner.on_region = numbers.region
    try:
        with read_only_sheet_source(ws) as source:
            while not numbers.done and (chunk := source.read(_CHUNK)):
                scanner.feed(chunk)
            if not numbers.done:
                scanner.finish()
        return numbers.widest
    except _Dropped as dropped:
        raise InputError(
            _why(dropped.number, dropped.previous), file=shown, sheet=ws.title, hint=_RESAVE
        ) from None
    except _CellTwice as twice:
        letter = column_letter(twice.column - 1)
        raise InputError(
            f"row {twice.number} gives column {letter} twice in the sheet's XML (two cells "
            "land there, whatever rows their references name; openpyxl would keep only the "
            "last, and drop what the first holds)",
            file=shown,
            sheet=ws.title,
            row=twice.number,
            column=letter,
            hint=_RESAVE,
        ) from None
    except (PartTooBig, PartHasDtd, PartMalformed):
        # The guard passed these bytes as UTF-8 text; only a sheet in UTF-16 (no sheetData,
        # or the guard refuses it) measures otherwise here, and its tags are not read anyway.
        return None


def _why(number: int, previous: int) -> str:
    if number < 1:
        return f"a row is numbered {number}, below 1 (which openpyxl would drop)"
    if number == previous:
        return f"row {number} comes twice in the sheet's XML (openpyxl would drop the second)"
    return (
        f"row {number} comes after row {previous} in the sheet's XML (rows out of order, "
        "which openpyxl would drop)"
    )
