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

import html
import posixpath
import re
import zipfile
from collections.abc import Iterator

from reportgen.core.errors import column_letter
from reportgen.core.sealed import SealedCopy

NO_SAVED_VALUE = "a formula with no saved value"
_CHUNK = 1 << 20
_MAX_CARRY = 8 << 20  # a row longer than this is cut at a cell's end, not held whole
_MAX_ROWS = 10_000  # rows looked up; more rows without a service name than this are few
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(sheet|Relationship)[ \t\r\n]([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)[ \t\r\n]*=[ \t\r\n]*(?:"([^"]*)"|'([^']*)')""")
_ERROR = re.compile(rb"#[A-Z0-9/!?_]{1,14}")  # #N/A, #DIV/0!, #REF!, #GETTING_DATA...
_VALUE = re.compile(rb"<v(?:[ \t\r\n][^>]*)?>([^<]*)</v>")
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
                return _causes(_chunks(stream), column_letter(column).encode(), wanted)
    except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError):
        return {}  # the sheet was read a moment ago: a diagnosis is not worth an error


def sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the worksheet named ``sheet``, as the workbook's
    relationships name it."""
    workbook = _targets(archive, "_rels/.rels", "").get("officeDocument") or "xl/workbook.xml"
    folder, name = posixpath.split(workbook)
    relations = _relations(archive, posixpath.join(folder, "_rels", name + ".rels"), folder)
    for attributes in _tags(archive.read(workbook), b"sheet"):
        if attributes.get("name") == sheet:
            key = next((k for k in attributes if k.endswith(":id")), None)
            return relations.get(attributes[key]) if key else None
    return None


def _targets(archive: zipfile.ZipFile, rels: str, folder: str) -> dict[str, str]:
    """Relationship type (its last word) -> target member."""
    return {
        rid_type.rsplit("/", 1)[-1]: target
        for rid_type, target in _relation_pairs(archive, rels, folder, "Type")
    }


def _relations(archive: zipfile.ZipFile, rels: str, folder: str) -> dict[str, str]:
    """Relationship id -> target member."""
    return dict(_relation_pairs(archive, rels, folder, "Id"))


def _relation_pairs(
    archive: zipfile.ZipFile, rels: str, folder: str, key: str
) -> Iterator[tuple[str, str]]:
    if rels not in archive.namelist():
        return
    for attributes in _tags(archive.read(rels), b"Relationship"):
        target = attributes.get("Target", "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        yield attributes.get(key, ""), posixpath.normpath(member)


def _tags(data: bytes, name: bytes) -> Iterator[dict[str, str]]:
    """The attributes of every element ``name`` (any prefix), entities resolved."""
    for match in _TAG.finditer(data):
        if match[1] == name:
            yield {
                key.decode(errors="replace"): html.unescape(
                    (double if double is not None else single).decode(errors="replace")
                )
                for key, double, single in _ATTRIBUTE.findall(match[2])
            }


def _chunks(stream: zipfile.ZipExtFile) -> Iterator[bytes]:
    """The part in pieces that each end after a whole row (or, in a row too long to hold,
    after a whole cell), so a cell is never split between two."""
    carry = b""
    while block := stream.read(_CHUNK):
        carry += block
        end = carry.rfind(b"</row>")
        if end < 0 and len(carry) > _MAX_CARRY:
            end = carry.rfind(b"</c>")
        if end >= 0:
            yield carry[: end + 6]
            carry = carry[end + 6 :]
    yield carry


def _causes(chunks: Iterator[bytes], letters: bytes, wanted: set[int]) -> dict[int, str]:
    """Each wanted row's cause, read from the chunks until the last wanted row is passed
    (Excel writes rows in order; a row out of order is only missed)."""
    cell = re.compile(rb"<c[ \t\r\n](?:[^>]*?[ \t\r\n])?r=\"" + letters + rb"([0-9]+)\"[^>]*>")
    causes: dict[int, str] = {}
    last = max(wanted)
    for chunk in chunks:
        for match in cell.finditer(chunk):
            row = int(match[1])
            if row in wanted and not match[0].endswith(b"/>"):
                end = chunk.find(b"</c>", match.end())
                cause = _cause(match[0], chunk[match.end() : end if end >= 0 else None])
                if cause:
                    causes[row] = cause
            if row >= last:
                return causes
    return causes


def _cause(tag: bytes, content: bytes) -> str | None:
    """What a cell holds that calamine gives as empty, or None (it is empty)."""
    value = _VALUE.search(content)
    kind = _TYPE.search(tag)
    if kind and kind[1] == b"e":
        error = _ERROR.fullmatch(value[1].strip()) if value else None
        return f"the error value {error[0].decode()}" if error else "an error value"
    if kind and kind[1] == b"str" and value:
        return None  # a formula whose saved value is the empty string: Excel shows nothing
    if _FORMULA.search(content) and not (value and value[1].strip()):
        return NO_SAVED_VALUE
    return None
