"""Measuring the XML parts of an .xlsx chunk by chunk, before calamine parses them.

Two things calamine cannot be trusted with: one huge cell or string (it allocates whatever
the part holds) and a worksheet whose cells lie far apart (it allocates the whole range
between them as one dense grid and aborts the process when that fails). A scanner is fed a
part's bytes in chunks, keeps only an unfinished element between chunks, and reports the
range the cells span; an element or text run over the budget raises ``PartTooBig``.

Each chunk first takes a fast path of a few C-speed passes (``bytes.count``, ``bytes.find``
and one regex search), about 0.3 s for a million cells:

- every cell or string closes within half the budget of the previous one (checked with a
  ``find`` per half-budget window, not a split into a million pieces);
- every cell tag is ``<c r="..."`` and no reference lies outside the box ``A1:Z{N}``, where
  N is the largest row that keeps the box within the cell limit (99,999 by default).

A chunk that passes adds that box to the part's bound; one that does not is measured
exactly, cell by cell, as before. When the bound's area is over the limit the worksheet is
measured exactly from the start, so the verdict (and the range an error names) is always
the exact one: the fast path only skips work when the bound proves the sheet is small.

Exactly: cells carry their position (``r="B7"``) in every file Excel or LibreOffice writes;
a part where some cell does not is placed again tag by tag (``scan_tags``), as calamine
places it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # any namespace prefix
_ROOT = re.compile(rb"<" + _P + rb"([A-Za-z_][\w.-]*)[\s/>]")
_NAMES = {"worksheet": b"c", "sst": b"si"}  # the element that holds one cell's text
_LAST_OPEN = {
    kind: re.compile(rb".*(<" + _P + name + rb"[\s/>])", re.S) for kind, name in _NAMES.items()
}
_CLOSE = {kind: re.compile(rb"</" + _P + name + rb">") for kind, name in _NAMES.items()}
# Cell positions as Excel writes them: upper-case letters, a row without leading zeros.
_REF_LETTERS = re.compile(rb'r="([A-Z]{1,4})[1-9]')
_REF_ROWS = re.compile(rb'r="[A-Z]{1,4}([1-9]\d{0,14})"')
_UNUSUAL_CELL_TAGS = (b"<c\n", b"<c\r", b"<c\t", b":c ", b":c>")
# The fast path: cell tags other than '<c ', and references outside the box A1:Z{10^digits-1}.
_ODD_CELL_TAG = re.compile(rb"<c[\t\n\r>]")
_PREFIXED_CELL_TAG = re.compile(rb":c[ >]")
_OUTSIDE_BOX = {
    digits: re.compile(rb'<c r="(?![A-Z][1-9]\d{0,%d}")' % (digits - 1)) for digits in range(1, 8)
}
_BOX_COLUMNS = 26
# Tag by tag, for the rest.
_TAG = re.compile(rb"<(/?)" + _P + rb"(c|row)\b([^<>]*)>")
_CELL_REF = re.compile(rb"\br\s*=\s*[\"']\$?([A-Za-z]{1,4})\$?(\d{1,15})[\"']")
_ROW_REF = re.compile(rb"\br\s*=\s*[\"'](\d{1,15})[\"']")


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


@functools.lru_cache(maxsize=20_000)
def column_index(letters: bytes) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + letter - 64
    return index - 1


class PartTooBig(Exception):
    """An element or text run is over the byte budget of one cell."""


class PartHasDtd(Exception):
    """The part declares a DTD: Excel never writes one, entity bombs and XXE need one."""


def longest_run(data: bytes) -> int:
    """The longest stretch without a tag: one text node, or one tag's attributes."""
    return max(map(len, data.split(b"<")))


def box_digits(max_cells: int) -> int:
    """Row digits of the largest box A1:Z{10^d - 1} within ``max_cells`` (0: none fits)."""
    digits = 0
    while digits < max(_OUTSIDE_BOX) and (10 ** (digits + 1) - 1) * _BOX_COLUMNS <= max_cells:
        digits += 1
    return digits


class PartScanner:
    """Feed a part's bytes in order; then read ``kind``, ``extent`` and ``needs_rescan``.

    ``extent`` is exact for the chunks measured cell by cell; ``bound`` also covers the
    chunks that took the fast path (see the module's docstring), so it is an upper bound of
    the worksheet's range. ``exact`` says whether every chunk was measured exactly.
    """

    def __init__(self, budget: int, max_cells: int | None = None) -> None:
        self.budget = budget
        self.kind: str | None = None  # the root element: worksheet, sst, workbook ...
        self.extent = Extent()
        self.needs_rescan = False  # some cell is not written as Excel does: use scan_tags
        self._tail = b""
        digits = box_digits(max_cells) if max_cells is not None else 0
        self._outside_box = _OUTSIDE_BOX.get(digits)
        self._box = Extent(0, 10**digits - 2, 0, _BOX_COLUMNS - 1)
        self._boxed = False  # some chunk took the fast path

    @property
    def exact(self) -> bool:
        return not self._boxed

    @property
    def bound(self) -> Extent:
        return self.extent.union(self._box) if self._boxed else self.extent

    def feed(self, chunk: bytes) -> None:
        buffer = self._tail + chunk
        if self.kind is None:
            if b"<!DOCTYPE" in buffer[:4096]:
                raise PartHasDtd
            self.kind = root_name(buffer)
        cut = self._cut(buffer)
        self._measure(buffer[:cut])
        self._tail = buffer[cut:]
        if len(self._tail) > self.budget:  # one unfinished element or text run
            raise PartTooBig

    def finish(self) -> None:
        self._measure(self._tail)
        self._tail = b""

    def _cut(self, buffer: bytes) -> int:
        """Where to split: before an unfinished cell or string, else before the last tag."""
        if self.kind in _NAMES:
            last = _LAST_OPEN[self.kind].match(buffer)
            if last is not None and _CLOSE[self.kind].search(buffer, last.start(1)) is None:
                return last.start(1)
        at = buffer.rfind(b"<")
        return len(buffer) if at < 0 else at

    def _measure(self, region: bytes) -> None:
        if self.kind not in _NAMES:
            if longest_run(region) > self.budget:
                raise PartTooBig
            return
        self._check_elements(region, self.kind)
        if self.kind == "worksheet":
            self._place_cells(region)

    def _check_elements(self, region: bytes, kind: str) -> None:
        """Each piece between two closing tags holds one element and the markup before it.
        Rich text splits one string into many short runs, so runs alone do not tell."""
        close = b"</" + _NAMES[kind] + b">"
        if self._closes_often(region, close):
            return
        self._check_pieces(region, kind, close)

    def _closes_often(self, region: bytes, close: bytes) -> bool:
        """True when a closing tag falls in every half-budget window up to the last one and
        what follows it is short: then no piece between two closing tags (nor the trailer)
        can exceed the budget. A few ``find`` calls per chunk instead of a split."""
        last = region.rfind(close)
        if last < 0 or len(region) - last > self.budget:
            return False
        step = self.budget // 2
        return all(region.find(close, start, start + step) >= 0 for start in range(0, last, step))

    def _check_pieces(self, region: bytes, kind: str, close: bytes) -> None:
        prefixed = b":" + close[2:] in region  # then split the slower way
        pieces = _CLOSE[kind].split(region) if prefixed else region.split(close)
        trailer = pieces.pop()  # after the last element: other markup
        if longest_run(trailer) > self.budget:
            raise PartTooBig
        if not pieces or max(map(len, pieces)) <= self.budget:
            return
        for piece in pieces:
            if len(piece) <= self.budget:
                continue
            last = _LAST_OPEN[kind].match(piece)
            element = len(piece) - last.start(1) if last is not None else 0
            if element > self.budget or longest_run(piece) > self.budget:
                raise PartTooBig

    def _place_cells(self, region: bytes) -> None:
        if self._in_box(region):
            self._boxed = True
            return
        self._place_exactly(region)

    def _in_box(self, region: bytes) -> bool:
        """True when every cell tag of the region is ``<c r="..."`` and its reference lies
        in the box: single letter, row of at most the box's digits, no leading zero."""
        if self._outside_box is None:
            return False
        cells = region.count(b"<c ")
        return (
            cells == region.count(b'<c r="')
            # no other element carries a reference calamine might read
            and region.count(b' r="') == cells + region.count(b'<row r="')
            and _ODD_CELL_TAG.search(region) is None
            and _PREFIXED_CELL_TAG.search(region) is None
            and self._outside_box.search(region) is None
        )

    def _place_exactly(self, region: bytes) -> None:
        rows = _REF_ROWS.findall(region)
        cells = region.count(b"<c ") + region.count(b"<c>")
        if len(rows) < cells or any(tag in region for tag in _UNUSUAL_CELL_TAGS):
            self.needs_rescan = True
        # Empty cells (<c r="Z9" s="1"/>) count too, though calamine skips them: a sheet
        # that formats cells that far out is refused rather than scanned twice.
        if rows:
            numbers = list(map(int, rows))
            letters = set(_REF_LETTERS.findall(region))
            self.extent.add([min(numbers) - 1, max(numbers) - 1], list(map(column_index, letters)))


def root_name(buffer: bytes) -> str | None:
    for match in _ROOT.finditer(buffer[:4096]):
        name = match.group(1).decode("ascii", "replace")
        if not name.startswith(("?", "!")):
            return name
    return None


def scan_tags(chunks: Iterable[bytes]) -> Extent:
    """Place every value cell tag by tag, as calamine does when a cell has no ``r``: the
    column after the previous cell, in the row after the previous row."""
    extent = Extent()
    position = [-1, -1]  # row and column of the previous cell
    tail = b""
    for chunk in chunks:
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        cut = len(buffer) if cut < 0 else cut
        _place(buffer[:cut], position, extent)
        tail = buffer[cut:]
    _place(tail, position, extent)
    return extent


def _place(region: bytes, position: list[int], extent: Extent) -> None:
    row, column = position
    rows: list[int] = []
    columns: list[int] = []
    for closing, name, attributes in _TAG.findall(region):
        if closing:
            continue
        if name == b"row":
            found = _ROW_REF.search(attributes)
            row, column = (int(found.group(1)) - 1 if found else row + 1), -1
            continue
        found = _CELL_REF.search(attributes)
        if found:
            row, column = int(found.group(2)) - 1, column_index(found.group(1))
        else:
            column += 1
        if not attributes.rstrip().endswith(b"/"):  # calamine skips cells with no value
            rows.append(row)
            columns.append(column)
    position[:] = [row, column]
    extent.add(rows, columns)
