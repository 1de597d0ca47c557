"""The number format of each cell style of an .xlsx, read from its styles part.

A cell names its style by index (its ``s``); the style names a number format by id, a
built-in one or one the styles part writes out. calamine reads neither, and the readers
that need them (a duration too long for calamine, a format showing other text than the
cell holds) read them here.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile

from reportgen.inventory.xlsx_blanks import (
    ATTRIBUTE,
    read_whole_part,
    relation_targets,
    workbook_part,
)
from reportgen.inventory.xlsx_scan import specials_as_text

# Each pattern stops at the next '<' and is searched for once, forward (xlsx_blanks: a
# search from each of a run of `<cellXfs` to the part's end was quadratic, 56d).
_CELL_XFS_OPEN = re.compile(rb"<(?:\w+:)?cellXfs\b")
_CELL_XFS_CLOSE = re.compile(rb"</(?:\w+:)?cellXfs[ \t\r\n]*>")
_NUM_FMT = re.compile(rb"<(?:\w+:)?numFmt[ \t\r\n]([^<>]*)>")
_XF = re.compile(rb"<(?:\w+:)?xf(?:[ \t\r\n]([^<>]*))?/?>")


def cell_formats(archive: zipfile.ZipFile) -> list[tuple[int, str]]:
    """Each cell style's number format, by the style's index: its id, and its code where
    the styles part writes one out ("" for a built-in one; id -1 for an id not a number)."""
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
        for tag in map(attributes, _NUM_FMT.findall(data))
    }
    ids = [attributes(xf).get(b"numFmtId", b"0") for xf in _XF.findall(_cell_xfs(data))]
    return [(int(i) if i.isdigit() else -1, custom.get(i, "")) for i in ids]


def _cell_xfs(data: bytes) -> bytes:
    """The ``cellXfs`` list of the styles part, its comments and CDATA made text (a
    `<cellXfs` in a comment was taken as the list's start)."""
    start = _CELL_XFS_OPEN.search(data)
    end = _CELL_XFS_CLOSE.search(data, start.end()) if start else None
    return data[start.end() : end.start()] if start and end else b""


def attributes(text: bytes) -> dict[bytes, bytes]:
    """A tag's attributes, by name."""
    return {key: double or single for key, double, single in ATTRIBUTE.findall(text)}
