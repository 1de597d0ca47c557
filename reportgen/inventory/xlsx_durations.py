"""Which cell of a row calamine could not read because it holds an elapsed time too large.

A number in a cell styled with a duration format (``[h]:mm:ss``, Excel's built-in 46) is
read by calamine as a Python ``timedelta``, which holds at most 999,999,999 days: a larger
value (``1e9``, ``-1e10``, ``inf``) makes calamine raise while it hands on the row, in any
column, read or not (fourteenth adversarial pass). calamine does not say which cell; the
worksheet's XML does. Like :mod:`xlsx_blanks`, this is a diagnosis: a cell it cannot find
leaves the message naming the row alone.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator

from reportgen.core.sealed import SealedCopy
from reportgen.inventory.xlsx_blanks import ATTRIBUTE, VALUE, cells, part_chunks
from reportgen.inventory.xlsx_parts import sheet_part
from reportgen.inventory.xlsx_styles import cell_formats

MAX_DAYS = 999_999_999  # datetime.timedelta.max.days
_DURATION_BUILTIN = 46  # [h]:mm:ss; calamine reads the other built-in time formats as dates
_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)  # [h], [mm], [ss]: elapsed time
_CELL = re.compile(rb"<(?:\w+:)?c[ \t\r\n]")
_REFERENCE = re.compile(rb"([A-Z]{1,3})([0-9]+)")


def too_long_duration(workbook: SealedCopy, sheet: str, row: int) -> str | None:
    """The column letters of the cell of ``row`` (1-based) that holds a duration past
    :data:`MAX_DAYS` days, or None when it cannot be found."""
    try:
        with zipfile.ZipFile(workbook.reader()) as archive:
            part = sheet_part(archive, sheet)
            styles = _duration_styles(archive)
            if part is None or not styles:
                return None
            with archive.open(part) as stream:
                return _find(part_chunks(stream), styles, row)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError, ValueError):
        return None  # the message names the row already


def _duration_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats (a cell's ``s``) whose number format is a duration."""
    return {
        index
        for index, (number_format, code) in enumerate(cell_formats(archive))
        if _is_duration(number_format, code)
    }


def _is_duration(number_format: int, code: str) -> bool:
    return number_format == _DURATION_BUILTIN or bool(_ELAPSED.search(code))


def _find(chunks: Iterator[bytes], styles: set[int], row: int) -> str | None:
    for chunk in chunks:
        for _, tag, content in cells(chunk, _CELL):
            found = attributes(tag)
            reference = _REFERENCE.fullmatch(found.get(b"r", b""))
            if reference is None or int(reference[2]) < row:
                continue
            if int(reference[2]) > row:
                return None
            if tag.endswith(b"/>") or not _too_long(found, styles, content):
                continue
            return reference[1].decode()
    return None


def attributes(text: bytes) -> dict[bytes, bytes]:
    return {key: double or single for key, double, single in ATTRIBUTE.findall(text)}


def _too_long(cell: dict[bytes, bytes], styles: set[int], content: bytes) -> bool:
    style = cell.get(b"s", b"0")
    if cell.get(b"t", b"n") != b"n" or not style.isdigit() or int(style) not in styles:
        return False
    value = VALUE.search(content)
    try:
        days = float(value[1]) if value else 0.0
    except ValueError:
        return False
    return not math.isnan(days) and abs(days) > MAX_DAYS
