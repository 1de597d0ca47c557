"""Why a workbook cell calamine gives as empty shows something in Excel.

calamine hands on a formula saved without its value (openpyxl and other writers that do not
calculate save them so; Excel calculates them on opening) and an error value (#N/A, #REF!)
as an empty cell. A row whose service cell is one of those would be reported as "no service
given" while the user sees a service name, or an error, there. The worksheet's XML says
which: this module looks up the cells asked about, and only those, after calamine has read
the sheet (the guard has measured every part by then, so no part is larger than its caps).

It is a diagnosis, never a reading: a part it cannot find, or a cell written in a way it
does not follow (no ``r`` attribute, a namespace prefix), leaves the row's reason as it was.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator

from reportgen.core.errors import column_letter
from reportgen.core.sealed import SealedCopy
from reportgen.inventory.xlsx_parts import sheet_part

NO_SAVED_VALUE = "a formula with no saved value"
_CHUNK = 1 << 20
_MAX_CARRY = 8 << 20  # a row longer than this is cut at a cell's end, not held whole
_MAX_ROWS = 10_000  # rows looked up; more rows without a service name than this are few
# Every pattern here stops at the next '<' (no value of a well-formed part holds one), and
# an attribute's name starts after a blank: a search from each of a run of openers (`<c `
# 80,000 times in a comment) or from each letter of a long word reached past the others,
# quadratic (a 240 KB comment took 233 s: 56d).
ATTRIBUTE = re.compile(rb"""(?<![\w:.-])([\w:.-]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')""")
_ERROR = re.compile(rb"#[A-Z0-9/!?_]{1,14}")  # #N/A, #DIV/0!, #REF!, #GETTING_DATA...
VALUE = re.compile(rb"<(?:\w+:)?v(?:[ \t\r\n][^<>]*)?>([^<]*)</(?:\w+:)?v>")
_TAG_REST = re.compile(rb"[^<>]*>?")  # the rest of a start tag, to its '>'
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_FORMULA = re.compile(rb"<f[ \t\r\n/>]")
_TYPE = re.compile(rb"[ \t\r\n]t[ \t\r\n]*=[ \t\r\n]*[\"']([a-zA-Z]*)[\"']")


def blank_causes(workbook: SealedCopy, sheet: str, column: int, rows: set[int]) -> dict[int, str]:
    """For rows (1-based) whose cell in ``column`` (0-based) calamine gave as empty, what
    the cell holds instead, by row: "a formula with no saved value", "the error value
    #N/A".
    Rows whose cell is empty in the XML too are left out; so is everything, when the
    sheet's part cannot be found or read."""
    wanted = set(sorted(rows)[:_MAX_ROWS])
    if not wanted:
        return {}
    try:
        with zipfile.ZipFile(workbook.reader()) as archive:
            part = sheet_part(archive, sheet)
            if part is None:
                return {}
            with archive.open(part) as stream:
                return _causes(part_chunks(stream), column_letter(column).encode(), wanted)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError, ValueError):
        return {}  # the sheet was read a moment ago: a diagnosis is not worth an error


def part_chunks(stream: zipfile.ZipExtFile) -> Iterator[bytes]:
    """The part in pieces that each end after a whole row (or, in a row too long to hold,
    after a whole cell, else before a cell begun), so a cell is never split between two.
    What is held never passes _MAX_CARRY and a block: a part written with a prefix (no
    ``</row>`` to cut at) was held whole and searched again for each block (56d)."""
    carry = b""
    while block := stream.read(_CHUNK):
        fresh = max(0, len(carry) - 5)  # where a '</row>' not yet seen may start
        carry += block
        end = _cut(carry, fresh)
        if end > 0:
            yield carry[:end]
            carry = carry[end:]
    yield carry


def _cut(carry: bytes, fresh: int) -> int:
    """Where to end the piece handed on: after its last row, else (past _MAX_CARRY) its
    last cell, else before a cell begun, else all of it; 0 to hold it."""
    end = carry.rfind(b"</row>", fresh)
    if end >= 0:
        return end + len(b"</row>")
    if len(carry) <= _MAX_CARRY:
        return 0
    end = carry.rfind(b"</c>")
    if end >= 0:
        return end + len(b"</c>")
    begun = carry.rfind(b"<c")
    return begun if begun > 0 else len(carry)


def cells(
    chunk: bytes, opening: re.Pattern[bytes]
) -> Iterator[tuple[re.Match[bytes], bytes, bytes]]:
    """Each cell whose start tag begins where ``opening`` matches in ``chunk``: the match,
    the whole start tag, and what the cell holds (to its end tag; to the next cell's start
    when it has none). No search runs from one cell past the next: a find of '</c>' from
    each cell to the end of the chunk was quadratic in cells without one (56d)."""
    matches = opening.finditer(chunk)
    match = next(matches, None)
    while match is not None:
        following = next(matches, None)
        stop = following.start() if following else len(chunk)
        rest = _TAG_REST.match(chunk, match.end(), stop)
        end = rest.end() if rest else match.end()
        close = _CELL_END.search(chunk, end, stop)
        yield match, chunk[match.start() : end], chunk[end : close.start() if close else stop]
        match = following


def _causes(chunks: Iterator[bytes], letters: bytes, wanted: set[int]) -> dict[int, str]:
    """Each wanted row's cause, read from the chunks until the last wanted row is passed
    (Excel writes rows in order; a row out of order is only missed)."""
    # a row of 7 digits at most, as a sheet's: 5,000 of them in a comment were past what
    # int() reads, an internal error (72d)
    opening = re.compile(rb"<c[ \t\r\n](?:[^<>]*?[ \t\r\n])?r=\"" + letters + rb"([0-9]{1,7})\"")
    causes: dict[int, str] = {}
    last = max(wanted)
    for chunk in chunks:
        for match, tag, content in cells(chunk, opening):
            row = int(match[1])
            if row in wanted and not tag.endswith(b"/>"):
                cause = _cause(tag, content)
                if cause:
                    causes[row] = cause
            if row >= last:
                return causes
    return causes


def _cause(tag: bytes, content: bytes) -> str | None:
    """What a cell holds that calamine gives as empty, or None (it is empty)."""
    value = VALUE.search(content)
    kind = _TYPE.search(tag)
    if kind and kind[1] == b"e":
        error = _ERROR.fullmatch(value[1].strip()) if value else None
        return f"the error value {error[0].decode()}" if error else "an error value"
    if kind and kind[1] == b"str" and value:
        return None  # a formula whose saved value is the empty string: Excel shows nothing
    if _FORMULA.search(content) and not (value and value[1].strip()):
        return NO_SAVED_VALUE
    return None
