"""Which cells of an inventory sheet Excel shows as other text than they hold.

A cell's number format can show it as words it does not hold: ``;;;"yes"`` shows 'no'
as yes, ``"yes"`` shows 0 as yes, ``0;;`` shows a zero as nothing. calamine reads what the
cell holds, and a row went into packs its author saw it kept out of, exit 0 (75a), as the
evidence reader already refused (70a). The sheet is read again for its cells' styles only
when the styles part holds such a format.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from reportgen.core.errors import InputError, column_letter
from reportgen.core.markdown import shorten
from reportgen.core.numformats import shows_number_as_is, shows_text_as_is
from reportgen.core.owners import spelt_out
from reportgen.core.sealed import SealedCopy
from reportgen.inventory.xlsx_blanks import part_chunks, sheet_part
from reportgen.inventory.xlsx_scan import column_index
from reportgen.inventory.xlsx_styles import attributes, cell_formats

_KEPT = 64  # cells kept for each column: its first ones and its last
# A row or a cell's start tag; in it, a reference of the 7 digits a sheet's rows have
_TAG = re.compile(rb"<(?:\w+:)?(row|c)(?=[ \t\r\n/>])([^<>]*)>")
_REFERENCE = re.compile(rb"([A-Z]{1,3})([0-9]{1,7})")
_TEXT_TYPES = (b"s", b"str", b"inlineStr")


@dataclass(frozen=True)
class ShownOtherwise:
    """A cell whose number format shows other text than it holds."""

    row: int  # 1-based
    number_format: str


def shown_otherwise(workbook: SealedCopy, sheet: str) -> dict[int, list[ShownOtherwise]]:
    """Such cells of ``sheet``, by 0-based column: the first of each column, and its last."""
    try:
        with zipfile.ZipFile(workbook.reader()) as archive:
            text, number = _disguising_styles(archive)
            part = sheet_part(archive, sheet) if text or number else None
            if part is None:
                return {}
            with archive.open(part) as stream:
                return _found(part_chunks(stream), text, number)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError, ValueError):
        return {}  # calamine read the part: what it could not be read again for is no cell


def _disguising_styles(archive: zipfile.ZipFile) -> tuple[dict[int, str], dict[int, str]]:
    """The styles whose format shows a text cell, and those showing a number cell, as
    other text: by index, the format's code."""
    formats = [code for _, code in cell_formats(archive)]
    text = {i: code for i, code in enumerate(formats) if code and not shows_text_as_is(code)}
    number = {i: code for i, code in enumerate(formats) if code and not shows_number_as_is(code)}
    return text, number


def _found(
    chunks: Iterator[bytes], text: dict[int, str], number: dict[int, str]
) -> dict[int, list[ShownOtherwise]]:
    found: dict[int, list[ShownOtherwise]] = {}
    row, column = 0, -1
    for chunk in chunks:
        for tag in _TAG.finditer(chunk):
            given = attributes(tag[2])
            reference = _REFERENCE.fullmatch(given.get(b"r", b""))
            if tag[1] == b"row":  # a row without its number is the next one, as calamine's
                number_given = given.get(b"r", b"")
                is_number = number_given.isdigit() and len(number_given) <= 7
                row, column = int(number_given) if is_number else row + 1, -1
                continue
            if reference is not None:
                row, column = int(reference[2]), column_index(reference[1])
            else:
                column += 1
            code = _disguise(given, text, number)
            if code is not None:
                kept = found.setdefault(column, [])
                kept[min(len(kept), _KEPT - 1) :] = [ShownOtherwise(row, code)]
    return found


def _disguise(cell: dict[bytes, bytes], text: dict[int, str], number: dict[int, str]) -> str | None:
    style = cell.get(b"s", b"")
    if not style.isdigit() or len(style) > 9:
        return None
    kind = cell.get(b"t", b"n")
    styles = text if kind in _TEXT_TYPES else number if kind == b"n" else {}
    return styles.get(int(style))


def read_cell_shown_otherwise(
    workbook: SealedCopy, path: str, sheet: str, header_row: int, columns: dict[int, str]
) -> InputError | None:
    """The refusal of the first cell of a column reportgen reads (``columns``: its index
    and what the header says), from the header row down, shown as other text than it
    holds; None when there is none."""
    found = shown_otherwise(workbook, sheet)
    cells = [
        (cell.row, index, cell.number_format)
        for index in columns
        for cell in found.get(index, ())
        if cell.row >= header_row
    ]
    if not cells:
        return None
    row, index, number_format = min(cells)
    return InputError(
        f"its number format {spelt_out(shorten(number_format, 60))} makes Excel show other "
        "text than the cell holds; reportgen reads what it holds, so it would read the cell "
        "otherwise than you see it",
        file=path,
        sheet=sheet,
        row=row,
        column=f"{column_letter(index)} ({spelt_out(shorten(columns[index].strip(), 40))})",
        hint="Give the cell the General or Text format (Format Cells) and write in it what "
        "it should say.",
    )
