"""Placing a worksheet's cells exactly as calamine does, tag by tag.

This is the slow, exact measure that ``xlsx_scan`` falls back on when a worksheet is not
written the way Excel writes it (cells without a position, odd attribute spelling, namespace
prefixes, comments). It follows calamine 0.36's worksheet reader and the quick-xml tokenizer
under it, because any difference is a way to hand calamine a range the guard did not see:

- a tag runs to the first ``>`` outside quotes; its name runs to the first space, tab, CR
  or LF; its local name is what follows the first colon (``<:c>`` and ``<x:c>`` are cells);
- comments, CDATA sections and processing instructions hide the tags inside them;
- cells are read from the first ``<sheetData>`` to the first ``</sheetData>``;
- a ``<row r=..>`` sets the row; every ``</row>`` moves to the next row, first column;
- a cell's ``r`` is the attribute whose whole key is ``r`` (the last one, unless ``r``,
  ``s`` and ``t`` have all been seen), read as letters then digits, either case, each
  accumulated in 32 bits that wrap; a cell without one goes where the previous cell ended;
- inside a cell every tag is its value until the first ``</c>``, and a cell with no
  element inside is empty (calamine leaves it out of the range).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_U32 = 1 << 32
_ASCII_SPACE = b" \t\n\x0c\r"  # Rust's is_ascii_whitespace, used between attributes
# One markup construct; possessive quantifiers keep a long attribute linear.
_TOKEN = re.compile(
    rb"<(?![!?])(/?)((?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>"
    rb"|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*+>",
    re.S,
)
_NAME_END = re.compile(rb"[ \t\r\n]")  # a start tag's name ends at the first of these


@dataclass
class Extent:
    """The range of a worksheet's cells, 0-based and inclusive."""

    top: int | None = None
    bottom: int = 0
    left: int | None = None
    right: int = 0

    def union(self, other: Extent) -> Extent:
        """The smallest extent holding both."""
        if other.top is None or other.left is None:
            return Extent(self.top, self.bottom, self.left, self.right)
        merged = Extent(self.top, self.bottom, self.left, self.right)
        merged.add([other.top, other.bottom], [other.left, other.right])
        return merged

    def add(self, rows: list[int], columns: list[int]) -> None:
        """Take in cells at these 0-based rows and columns."""
        if not rows or not columns:
            return
        top, left = min(rows), min(columns)
        self.top = top if self.top is None else min(self.top, top)
        self.left = left if self.left is None else min(self.left, left)
        self.bottom = max(self.bottom, max(rows))
        self.right = max(self.right, max(columns))

    @property
    def area(self) -> int:
        if self.top is None or self.left is None:
            return 0
        return (self.bottom - self.top + 1) * (self.right - self.left + 1)


class CellsTooLong(Exception):
    """One tag or comment runs on past the byte budget."""


def parse_ref(value: bytes) -> tuple[int, int | None] | None:
    """calamine's reading of a cell or row reference: 0-based (row, column or None), or
    None where calamine reports an error (and so reads no range at all)."""
    column = row = 0
    digits = False
    for byte in value:
        if not digits and (65 <= byte <= 90 or 97 <= byte <= 122):
            column = (column * 26 + (byte & 0x1F)) % _U32
        elif 48 <= byte <= 57:
            row = (row * 10 + byte - 48) % _U32
            digits = True
        else:
            return None
    if not digits or row == 0:
        return None
    return row - 1, column - 1 if column else None


def attributes(raw: bytes, wanted: tuple[bytes, ...]) -> dict[bytes, bytes] | None:
    """The values of the ``wanted`` keys as calamine's attribute scan finds them, stopping
    once it has seen as many as it wants (duplicates count); None when it fails."""
    found: dict[bytes, bytes] = {}
    seen, at, end = 0, 0, len(raw)
    while True:
        while at < end and raw[at] in _ASCII_SPACE:
            at += 1
        if at >= end:
            return found
        equals = raw.find(b"=", at)
        if equals < 0:
            return None
        key = raw[at:equals].rstrip(_ASCII_SPACE)
        at = equals + 1
        while at < end and raw[at] in _ASCII_SPACE:
            at += 1
        if at >= end or raw[at] not in b"\"'":
            return None
        close = raw.find(raw[at : at + 1], at + 1)
        close = end if close < 0 else close
        if key in wanted:
            found[key] = raw[at + 1 : close]
            seen += 1
            if seen == len(wanted):
                return found
        at = close + 1


@dataclass
class _State:
    row: int = 0
    column: int = 0
    in_sheet: bool = False
    done: bool = False
    cell: tuple[int, int] | None = None  # the open cell's position
    cell_has_value: bool = False


def scan_tags(chunks: Iterable[bytes], budget: int) -> Extent:
    """The exact range calamine gives the worksheet whose bytes are ``chunks``."""
    extent, state = Extent(), _State()
    tail = b""
    for chunk in chunks:
        buffer = tail + chunk
        rows: list[int] = []
        columns: list[int] = []
        tail = _scan(buffer, state, rows, columns)
        extent.add(rows, columns)
        if len(tail) > budget:
            raise CellsTooLong
        if state.done:
            break
    return extent


def _scan(buffer: bytes, state: _State, rows: list[int], columns: list[int]) -> bytes:
    """Place the cells of every complete construct; return the unfinished rest. Each
    construct is matched where its '<' is, and the first that is unfinished ends the
    scan: searched for from every '<' after it, to the buffer's end each time, a run of
    unclosed tags took minutes (54d)."""
    at = 0
    while (start := buffer.find(b"<", at)) >= 0:
        match = _TOKEN.match(buffer, start)
        if match is None:
            return buffer[start:]  # a construct that starts here ends in a later chunk
        at = match.end()
        if match.group(2) is not None:
            _tag(match.group(1) == b"/", match.group(2), state, rows, columns)
            if state.done:
                return b""
    return b""


def _tag(closing: bool, content: bytes, state: _State, rows: list[int], columns: list[int]) -> None:
    if closing:  # quick-xml's end tag: its whole content, trailing spaces trimmed
        _end(_local(content.rstrip(b" \t\r\n")), state, rows, columns)
        return
    empty = content.endswith(b"/")  # quick-xml: a start, then an end
    if empty:
        content = content[:-1]
    name = _NAME_END.split(content, 1)[0]
    _start(_local(name), content[len(name) :], state, rows, columns)
    if empty:
        _end(_local(name), state, rows, columns)


def _local(name: bytes) -> bytes:
    """quick-xml's local name: what follows the first colon."""
    return name.split(b":", 1)[-1]


def _start(local: bytes, raw: bytes, state: _State, rows: list[int], columns: list[int]) -> None:
    if not state.in_sheet:
        state.in_sheet = local == b"sheetData"
        return
    if state.cell is not None:
        state.cell_has_value = True  # calamine reads any element in a cell as its value
        return
    if local == b"row":
        found = attributes(raw, (b"r",))
        ref = parse_ref(found[b"r"]) if found and b"r" in found else None
        if ref is not None:
            state.row = ref[0]
    elif local == b"c":
        found = attributes(raw, (b"r", b"s", b"t")) or {}
        ref = parse_ref(found[b"r"]) if b"r" in found else None
        if ref is not None and ref[1] is not None:
            state.column = ref[1]
            state.cell = (ref[0], ref[1])
        else:
            state.cell = (state.row, state.column)
        state.cell_has_value = False


def _end(local: bytes, state: _State, rows: list[int], columns: list[int]) -> None:
    if not state.in_sheet:
        return
    if state.cell is not None:
        if local == b"c":
            if state.cell_has_value:
                rows.append(state.cell[0])
                columns.append(state.cell[1])
            state.cell = None
            state.column = (state.column + 1) % _U32
        return
    if local == b"row":
        state.row = (state.row + 1) % _U32
        state.column = 0
    elif local == b"sheetData":
        state.done = True
