"""A workbook opened with openpyxl so that every cell reads as written in the file.

openpyxl reads a shared string (as Excel saves every string) with each ``x005F_`` cut
out of it, and an inline string (as reportgen writes them) as it stands; reportgen then
reads the file format's ``_xHHHH_`` spellings itself. A role named ``Ops_x0041_``,
saved by Excel as ``Ops_x005F_x0041_``, was read twice so, as ``OpsA``, and its own
column was not found (56a A7). Here shared strings are kept as written too, so both
kinds are read once, alike.

And a header that is text starting with '=' is not a formula: openpyxl gives both as
the same string, and only the cell's type tells them apart (56a A20).
"""

from __future__ import annotations

from typing import IO, Any

from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


class Formula(str):
    """A cell's formula, as openpyxl gives it ('=H1'), told apart from text that starts
    with '='."""


def open_book(stream: IO[bytes]) -> Any:
    """The workbook in ``stream``, read-only, formulas as written, no links kept."""
    reader = _AsWritten(stream, read_only=True, data_only=False, keep_links=False)
    reader.read()
    return reader.wb


def typed_values(cells: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row's values (openpyxl's cells of ``iter_rows(values_only=False)``), a formula
    given as a :class:`Formula`."""
    return tuple(
        Formula(cell.value)
        if getattr(cell, "data_type", None) == "f" and isinstance(cell.value, str)
        else cell.value
        for cell in cells
    )


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
