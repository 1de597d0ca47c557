"""Which cell of a row calamine could not read because it holds an elapsed time too large.

A number in a cell styled with a duration format (``[h]:mm:ss``, Excel's built-in 46) is
read by calamine as a Python ``timedelta``, which holds at most 999,999,999 days: a larger
value (``1e9``, ``-1e10``, ``inf``) makes calamine raise while it hands on the row, in any
column, read or not (fourteenth adversarial pass). calamine does not say which cell; the
worksheet's XML does. Like :mod:`xlsx_blanks`, this is a diagnosis: a cell it cannot find
leaves the message naming the row alone.
"""

from __future__ import annotations

import html
import math
import posixpath
import re
import zipfile
from collections.abc import Iterator

from reportgen.core.sealed import SealedCopy
from reportgen.inventory.xlsx_blanks import (
    ATTRIBUTE,
    VALUE,
    cells,
    part_chunks,
    read_whole_part,
    relation_targets,
    sheet_part,
    workbook_part,
)
from reportgen.inventory.xlsx_scan import specials_as_text

MAX_DAYS = 999_999_999  # datetime.timedelta.max.days
_DURATION_BUILTIN = 46  # [h]:mm:ss; calamine reads the other built-in time formats as dates
_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)  # [h], [mm], [ss]: elapsed time
# Each pattern stops at the next '<' and is searched for once, forward (xlsx_blanks: a
# search from each of a run of `<cellXfs` to the part's end was quadratic, 56d).
_CELL_XFS_OPEN = re.compile(rb"<(?:\w+:)?cellXfs\b")
_CELL_XFS_CLOSE = re.compile(rb"</(?:\w+:)?cellXfs[ \t\r\n]*>")
_NUM_FMT = re.compile(rb"<(?:\w+:)?numFmt[ \t\r\n]([^<>]*)>")
_XF = re.compile(rb"<(?:\w+:)?xf(?:[ \t\r\n]([^<>]*))?/?>")
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
    workbook = workbook_part(archive)
    folder, name = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    member = relation_targets(archive, rels, folder).get("styles") or posixpath.join(
        folder, "styles.xml"
    )
    made, unfinished = specials_as_text(read_whole_part(archive, member))
    data = made[:unfinished]
    custom = {
        tag.get(b"numFmtId", b""): html.unescape(
            tag.get(b"formatCode", b"").decode("utf-8", "replace")
        )
        for tag in map(_attributes, _NUM_FMT.findall(data))
    }
    xfs = _XF.findall(_cell_xfs(data))
    formats = [_attributes(xf).get(b"numFmtId", b"0") for xf in xfs]
    return {
        index
        for index, fmt in enumerate(formats)
        if fmt.isdigit() and _is_duration(int(fmt), custom.get(fmt, ""))
    }


def _cell_xfs(data: bytes) -> bytes:
    """The ``cellXfs`` list of the styles part, its comments and CDATA made text (a
    `<cellXfs` in a comment was taken as the list's start)."""
    start = _CELL_XFS_OPEN.search(data)
    end = _CELL_XFS_CLOSE.search(data, start.end()) if start else None
    return data[start.end() : end.start()] if start and end else b""


def _attributes(text: bytes) -> dict[bytes, bytes]:
    return {key: double or single for key, double, single in ATTRIBUTE.findall(text)}


def _is_duration(number_format: int, code: str) -> bool:
    return number_format == _DURATION_BUILTIN or bool(_ELAPSED.search(code))


def _find(chunks: Iterator[bytes], styles: set[int], row: int) -> str | None:
    for chunk in chunks:
        for _, tag, content in cells(chunk, _CELL):
            attributes = _attributes(tag)
            reference = _REFERENCE.fullmatch(attributes.get(b"r", b""))
            if reference is None or int(reference[2]) < row:
                continue
            if int(reference[2]) > row:
                return None
            if tag.endswith(b"/>") or not _too_long(attributes, styles, content):
                continue
            return reference[1].decode()
    return None


def _too_long(attributes: dict[bytes, bytes], styles: set[int], content: bytes) -> bool:
    style = attributes.get(b"s", b"0")
    if attributes.get(b"t", b"n") != b"n" or not style.isdigit() or int(style) not in styles:
        return False
    value = VALUE.search(content)
    try:
        days = float(value[1]) if value else 0.0
    except ValueError:
        return False
    return not math.isnan(days) and abs(days) > MAX_DAYS
