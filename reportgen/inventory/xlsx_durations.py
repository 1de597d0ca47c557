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
from reportgen.inventory.xlsx_blanks import _chunks, _targets, sheet_part

MAX_DAYS = 999_999_999  # datetime.timedelta.max.days
_DURATION_BUILTIN = 46  # [h]:mm:ss; calamine reads the other built-in time formats as dates
_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)  # [h], [mm], [ss]: elapsed time
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.DOTALL)
_NUM_FMT = re.compile(rb"<(?:\w+:)?numFmt[ \t\r\n]([^>]*)>")
_XF = re.compile(rb"<(?:\w+:)?xf(?:[ \t\r\n]([^>]*))?/?>")
_CELL = re.compile(rb"<(?:\w+:)?c[ \t\r\n]([^>]*?)(/?)>")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')""")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:[ \t\r\n][^>]*)?>([^<]*)</(?:\w+:)?v>")
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
                return _find(_chunks(stream), styles, row)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError, ValueError):
        return None  # the message names the row already


def _duration_styles(archive: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell formats (a cell's ``s``) whose number format is a duration."""
    workbook = _targets(archive, "_rels/.rels", "").get("officeDocument") or "xl/workbook.xml"
    folder, name = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    member = _targets(archive, rels, folder).get("styles") or posixpath.join(folder, "styles.xml")
    data = archive.read(member)
    custom = {
        tag.get(b"numFmtId", b""): html.unescape(
            tag.get(b"formatCode", b"").decode("utf-8", "replace")
        )
        for tag in map(_attributes, _NUM_FMT.findall(data))
    }
    block = _CELL_XFS.search(data)
    xfs = _XF.findall(block[0]) if block else []
    formats = [_attributes(xf).get(b"numFmtId", b"0") for xf in xfs]
    return {
        index
        for index, fmt in enumerate(formats)
        if fmt.isdigit() and _is_duration(int(fmt), custom.get(fmt, ""))
    }


def _attributes(text: bytes) -> dict[bytes, bytes]:
    return {key: double or single for key, double, single in _ATTRIBUTE.findall(text)}


def _is_duration(number_format: int, code: str) -> bool:
    return number_format == _DURATION_BUILTIN or bool(_ELAPSED.search(code))


def _find(chunks: Iterator[bytes], styles: set[int], row: int) -> str | None:
    for chunk in chunks:
        for match in _CELL.finditer(chunk):
            attributes = _attributes(match[1])
            reference = _REFERENCE.fullmatch(attributes.get(b"r", b""))
            if reference is None or int(reference[2]) < row:
                continue
            if int(reference[2]) > row:
                return None
            if match[2] or not _too_long(attributes, styles, chunk, match.end()):
                continue
            return reference[1].decode()
    return None


def _too_long(attributes: dict[bytes, bytes], styles: set[int], chunk: bytes, at: int) -> bool:
    style = attributes.get(b"s", b"0")
    if attributes.get(b"t", b"n") != b"n" or not style.isdigit() or int(style) not in styles:
        return False
    end = chunk.find(b"</c>", at)
    value = _VALUE.search(chunk, at, end if end >= 0 else len(chunk))
    try:
        days = float(value[1]) if value else 0.0
    except ValueError:
        return False
    return not math.isnan(days) and abs(days) > MAX_DAYS
